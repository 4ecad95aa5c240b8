"""The one inference module: tests, intervals, resampling and multiplicity, used by the claim
checks, the single-run verdicts and the sweeps alike.

- `significance`: one-sample tests and intervals against an external value (exact binomial),
  differences of means (permutation test, bootstrap interval), event sessions against the
  other sessions of a daily series (circular-shift test, circular block bootstrap), and the
  sidedness rule (a one-sided claim gets a one-sided test and a one-sided interval).
- `proportions`: two shares, k of n after the signal against j of m otherwise (Fisher's exact
  test, Newcombe's interval of the difference).
- `resampling`: the circular block bootstrap by block sums, written once.
- `multiplicity`: Holm and Benjamini-Hochberg corrections (statsmodels).
- `snooping`: Hansen's SPA test and Romano-Wolf's StepM for the best of a sweep (arch).
"""
