from setuptools import find_packages, setup

setup(
    name="ser_synth",
    version="0.1.0",
    description="Emotional speech recognition and synthesis on TensorFlow/Keras 3",
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["ser_synth", "ser_synth.*"]),
    package_data={"ser_synth": ["pretrained/*/*.keras", "pretrained/*/*.json", "pretrained/*/*/*.json", "pretrained/*/*.md", "serving/static/*.html"]},
    install_requires=[
        # not pinned to 2.16: the package runs on the newest TensorFlow without tensorflow-io
        "tensorflow>=2.16",
        "keras>=3.3",
        "numpy",
        "librosa>=0.10",
        "soundfile>=0.12",
        "scikit-learn>=1.3",
        "scipy",
        "matplotlib",
        "pyyaml",
        "tqdm",
        # espeak-ng (library + voice data) for the embedded corpus, rule-based baseline, phonemes
        "espeakng-loader>=0.2",
    ],
    extras_require={"tfio": ["tensorflow-io>=0.37"], "test": ["pytest"],
                    "serve": ["fastapi>=0.110", "uvicorn>=0.30", "websockets>=13"]},
    entry_points={"console_scripts": ["ser-synth=ser_synth.cli:main"]},
)
