"""One review machinery for every workflow that needs people in turn to decide on something.

A workflow (declared hours, programme applications, filings) describes itself once — the levels
of its chain for a subject, the fields a decision is signed over, what follows a decision — as
a ``Workflow`` registered here; this package keeps the rest: the chain fixed at submission,
append-only decisions each with a snapshot of who decided and a digest of what was decided,
who may decide which step (stand-ins for a level nobody can decide), queues, and batches. It
knows nothing of any workflow's subject.
"""
