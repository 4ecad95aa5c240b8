"""The claims rotation-lab checks: one TOML file per claim, the file's name the claim's name.

This folder is a package only so that an installed copy ships the files and finds them (as the
`strategies` package is found); it holds no code. A claim of your own loads from a folder with
`--claims-dir DIR` (or `rl.load_claims(DIR)`).
"""
