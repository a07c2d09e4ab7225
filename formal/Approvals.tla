------------------------------- MODULE Approvals -------------------------------
(***************************************************************************)
(* Approval requests and their single-use grants, as the database          *)
(* implements them (coord.approval_requests, coord.set_approval_state,     *)
(* coord.use_approval, coord.acts_for). A call that needs approval records *)
(* a request for (requester, operation); while one is pending the same     *)
(* call finds it. Approvers decide by compare-and-set on the state; the    *)
(* requester's repeated call uses the grant (approved -> used). Expiry may *)
(* strike a pending request or an unused grant at any time.                *)
(*                                                                         *)
(* CheckUse = FALSE lets a use skip the state check, so a used grant       *)
(* allows the call again (the broken variant, MC_approvals_broken.cfg):    *)
(* TLC must then find a counterexample to UsedAtMostOnce.                  *)
(***************************************************************************)
EXTENDS Naturals

CONSTANTS Principals, Ops, MaxRequests, CheckUse

States == {"pending", "approved", "denied", "expired", "cancelled", "used"}
Terminal == {"denied", "expired", "cancelled", "used"}
None == "none"
Ids == 1..MaxRequests

\* coord.acts_for: a principal acts for itself (devices extend it in the database).
ActsFor(approver, requester) == approver = requester

VARIABLES
    n,          \* requests made so far (ids 1..n)
    req,        \* [Ids -> [state, requester, op, decidedBy]]
    uses        \* [Ids -> Nat]: calls allowed by each grant (history)
vars == <<n, req, uses>>

Row == [state : States \cup {None}, requester : Principals \cup {None}, op : Ops \cup {None},
        decidedBy : Principals \cup {None}]

TypeOK ==
    /\ n \in 0..MaxRequests
    /\ req \in [Ids -> Row]
    /\ uses \in [Ids -> 0..2]

Init ==
    /\ n = 0
    /\ req = [i \in Ids |-> [state |-> None, requester |-> None, op |-> None, decidedBy |-> None]]
    /\ uses = [i \in Ids |-> 0]

\* check_operation / complete_task answering needs_approval: the pending identical request, or a new one.
Request(p, o) ==
    /\ ~\E i \in 1..n : req[i].state = "pending" /\ req[i].requester = p /\ req[i].op = o
    /\ n < MaxRequests
    /\ n' = n + 1
    /\ req' = [req EXCEPT ![n + 1] = [state |-> "pending", requester |-> p, op |-> o, decidedBy |-> None]]
    /\ UNCHANGED uses

\* coord.set_approval_state(from, to): the one compare-and-set.
Move(i, from, to, by) ==
    /\ req[i].state = from
    /\ req' = [req EXCEPT ![i].state = to, ![i].decidedBy = IF by = None THEN @ ELSE by]

Approve(a, i) == /\ ~ActsFor(a, req[i].requester) /\ Move(i, "pending", "approved", a) /\ UNCHANGED <<n, uses>>
Deny(a, i) == /\ ~ActsFor(a, req[i].requester) /\ Move(i, "pending", "denied", a) /\ UNCHANGED <<n, uses>>
Cancel(i) == Move(i, "pending", "cancelled", None) /\ UNCHANGED <<n, uses>>
Expire(i) == \/ Move(i, "pending", "expired", None) /\ UNCHANGED <<n, uses>>
             \/ Move(i, "approved", "expired", None) /\ UNCHANGED <<n, uses>>

\* The requester repeats the call with p_approval => i (coord.use_approval).
Use(p, o, i) ==
    /\ req[i].requester = p /\ req[i].op = o
    /\ IF CheckUse THEN Move(i, "approved", "used", None)
                   ELSE /\ req[i].state \in {"approved", "used"}
                        /\ req' = [req EXCEPT ![i].state = "used"]
    /\ uses' = [uses EXCEPT ![i] = IF @ < 2 THEN @ + 1 ELSE @]
    /\ UNCHANGED n

Next ==
    \/ \E p \in Principals, o \in Ops : Request(p, o)
    \/ \E a \in Principals, i \in 1..n : Approve(a, i) \/ Deny(a, i)
    \/ \E i \in 1..n : Cancel(i) \/ Expire(i)
    \/ \E p \in Principals, o \in Ops, i \in 1..n : Use(p, o, i)

Spec == Init /\ [][Next]_vars

\* --- safety ---------------------------------------------------------------------------------
UsedAtMostOnce == \A i \in Ids : uses[i] <= 1
UsedOnlyWhenApprovedByAnother ==
    \A i \in Ids : uses[i] > 0 => req[i].decidedBy # None /\ ~ActsFor(req[i].decidedBy, req[i].requester)
NoSelfDecision ==
    \A i \in Ids : req[i].state \in {"approved", "denied", "used"} =>
        req[i].decidedBy # None /\ ~ActsFor(req[i].decidedBy, req[i].requester)
OnePendingPerCall ==
    \A i, j \in 1..n : i # j /\ req[i].state = "pending" /\ req[j].state = "pending" =>
        <<req[i].requester, req[i].op>> # <<req[j].requester, req[j].op>>
\* Action property: no transition leaves a terminal state, and what a request is about never changes.
TerminalIsFinal ==
    [][\A i \in 1..n : /\ req[i].state \in Terminal => req'[i].state = req[i].state
                       /\ req'[i].requester = req[i].requester /\ req'[i].op = req[i].op]_vars
=============================================================================
