"""Shop API: a small FastAPI app full of the mistakes fastlint looks for.

Every finding is marked in the code with a comment starting with its code (``FLT1``
to ``FLT5``); ``# OK:`` marks the right way to do the same thing, which fastlint leaves
alone.
"""
