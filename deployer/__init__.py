"""miro-sentinel: deploy, prove and watch a Miro Audit Logs to Microsoft Sentinel pipeline."""

__all__ = ["__version__"]

__version__ = "0.1.0"
