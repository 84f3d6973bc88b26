from ser_synth.cli import main

raise SystemExit(main())
