"""fastlint: finds the architectural mistakes that stop FastAPI apps from scaling."""

__version__ = "0.1.0"
