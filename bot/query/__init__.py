"""The query module: every front door's questions about the floor, answered.

Its modules, the pure core first:

    window     windows as asked (LastSpan, DaysAgo, OnDate) and where they lie (Span)
    source     the seam: one read of the floor (FloorRead) from a StateSource
    timeline   current state, periods, totals, bar: pure
    flags      why a supervisor should look (typed Flag) against Thresholds: pure
    summaries  answers from one read: agent now, history, team, teams, who: pure
    results    the answer values the formatters render
    service    Query: find agents and teams by name apart from answering about them
"""
