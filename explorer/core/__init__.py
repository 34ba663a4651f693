"""The core: the three interfaces (operator, prior, objective), SDEs, schedules, step rules and the one solver.

Nothing here knows about a particular task: the toy and CT both run `explorer.core.solvers.solve`.
`files` keeps what the library writes complete: atomic writes, folders swapped in whole, bounded reads.
"""
