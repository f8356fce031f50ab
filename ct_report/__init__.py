"""ctreport: answers from the US State Department's Country Reports on Terrorism, with sources."""

__version__ = "0.1.0"
