-------------------------------- MODULE Actions --------------------------------
(***************************************************************************)
(* The action lifecycle as the database implements it (coord.actions,      *)
(* coord.set_action_state, coord.tg_approval_requests__action,             *)
(* api.claim_action, coord.check_action_claim, coord.release_action). An   *)
(* action's approval is an approval request: deciding it (never by a       *)
(* principal that acts for the proposer) moves the action in the same      *)
(* transaction; the first claim uses the grant (approved -> used). The     *)
(* target's executors claim an approved action with the next claim (the    *)
(* fence) and a lease; a report lands only with the live claim; a lease    *)
(* that runs out returns the action to approved, or fails it after the     *)
(* last attempt. Expiry may strike a pending request or an unused grant.   *)
(*                                                                         *)
(* CheckUse = FALSE lets every claim use the grant without checking it is  *)
(* unused (MC_actions_broken.cfg: an approval reused, UsedAtMostOnce must  *)
(* fail). CheckFence = FALSE lets a report skip the claim check, the       *)
(* predecessor's unguarded status update (MC_actions_stale.cfg:            *)
(* ReportedAtMostOnce must fail).                                          *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS Principals, Executors, MaxActions, MaxAttempts, CheckUse, CheckFence

ActionStates == {"proposed", "approved", "rejected", "executing", "executed", "failed", "expired"}
Terminal == {"rejected", "executed", "failed", "expired"}
ApprovalStates == {"pending", "approved", "denied", "expired", "cancelled", "used"}
None == "none"
Ids == 1..MaxActions

ActsFor(approver, requester) == approver = requester

VARIABLES
    n,          \* actions proposed so far (ids 1..n)
    act,        \* [Ids -> row]: the action and its approval request
    holder,     \* [Executors -> [action, claim]]: the claim each executor believes it holds (0: none)
    uses,       \* [Ids -> Nat]: grant uses (history)
    reports     \* [Ids -> Nat]: reports that landed, executed or failed (history)
vars == <<n, act, holder, uses, reports>>

Row == [state : ActionStates \cup {None}, proposer : Principals \cup {None},
        approval : ApprovalStates \cup {None}, decidedBy : Principals \cup {None},
        claim : 0..MaxAttempts, attempts : 0..MaxAttempts]

TypeOK ==
    /\ n \in 0..MaxActions
    /\ act \in [Ids -> Row]
    /\ holder \in [Executors -> [action : 0..MaxActions, claim : 0..MaxAttempts]]
    /\ uses \in [Ids -> 0..2]
    /\ reports \in [Ids -> 0..2]

Init ==
    /\ n = 0
    /\ act = [i \in Ids |-> [state |-> None, proposer |-> None, approval |-> None, decidedBy |-> None,
                             claim |-> 0, attempts |-> 0]]
    /\ holder = [e \in Executors |-> [action |-> 0, claim |-> 0]]
    /\ uses = [i \in Ids |-> 0]
    /\ reports = [i \in Ids |-> 0]

Bump(x) == IF x < 2 THEN x + 1 ELSE x

\* api.propose_action: the action and its approval request.
Propose(p) ==
    /\ n < MaxActions
    /\ n' = n + 1
    /\ act' = [act EXCEPT ![n + 1] = [state |-> "proposed", proposer |-> p, approval |-> "pending",
                                      decidedBy |-> None, claim |-> 0, attempts |-> 0]]
    /\ UNCHANGED <<holder, uses, reports>>

\* coord.set_approval_state on the request, and the trigger moving the action with it.
Decide(a, i, to, actionTo) ==
    /\ act[i].approval = "pending" /\ act[i].state = "proposed"
    /\ ~ActsFor(a, act[i].proposer)
    /\ act' = [act EXCEPT ![i].approval = to, ![i].decidedBy = a, ![i].state = actionTo]
    /\ UNCHANGED <<n, holder, uses, reports>>
Approve(a, i) == Decide(a, i, "approved", "approved")
Deny(a, i) == Decide(a, i, "denied", "rejected")
Cancel(i) ==
    /\ act[i].approval = "pending" /\ act[i].state = "proposed"
    /\ act' = [act EXCEPT ![i].approval = "cancelled", ![i].state = "rejected"]
    /\ UNCHANGED <<n, holder, uses, reports>>
\* coord.expire_approvals: a pending request, or a grant no claim used; the action follows.
ExpireApproval(i) ==
    /\ \/ act[i].approval = "pending" /\ act[i].state = "proposed"
       \/ act[i].approval = "approved" /\ act[i].state = "approved" /\ act[i].attempts = 0
    /\ act' = [act EXCEPT ![i].approval = "expired", ![i].state = "expired"]
    /\ UNCHANGED <<n, holder, uses, reports>>
\* coord.sweep_actions: an approved action nobody claimed before its deadline.
ExpireAction(i) ==
    /\ act[i].state = "approved"
    /\ act' = [act EXCEPT ![i].state = "expired"]
    /\ UNCHANGED <<n, holder, uses, reports>>

\* api.claim_action: compare-and-set approved -> executing with the next claim; the first claim
\* uses the grant (approved -> used).
Claim(e, i) ==
    /\ holder[e].action = 0
    /\ act[i].state = "approved"
    /\ IF CheckUse
          THEN IF act[i].attempts = 0
                  THEN /\ act[i].approval = "approved"
                       /\ uses' = [uses EXCEPT ![i] = Bump(@)]
                  ELSE UNCHANGED uses
          ELSE uses' = [uses EXCEPT ![i] = Bump(@)]   \* every claim takes the grant, unchecked
    /\ act' = [act EXCEPT ![i].state = "executing", ![i].claim = @ + 1, ![i].attempts = @ + 1,
                          ![i].approval = IF CheckUse /\ act[i].attempts > 0 THEN @ ELSE "used"]
    /\ holder' = [holder EXCEPT ![e] = [action |-> i, claim |-> act[i].claim + 1]]
    /\ UNCHANGED <<n, reports>>

\* The lease runs out (sweeper, or the late call itself): approved again, or failed after the last attempt.
LeaseExpires(i) ==
    /\ act[i].state = "executing"
    /\ act' = [act EXCEPT ![i].state = IF act[i].attempts >= MaxAttempts THEN "failed" ELSE "approved"]
    /\ UNCHANGED <<n, holder, uses, reports>>

\* complete_action / fail_action with the claim the executor holds.
Report(e, outcome) ==
    /\ holder[e].action # 0
    /\ LET i == holder[e].action IN
       /\ IF CheckFence THEN act[i].state = "executing" /\ act[i].claim = holder[e].claim
                        ELSE TRUE   \* an unguarded status update
       /\ act' = [act EXCEPT ![i].state = outcome]
       /\ reports' = [reports EXCEPT ![i] = Bump(@)]
    /\ holder' = [holder EXCEPT ![e] = [action |-> 0, claim |-> 0]]
    /\ UNCHANGED <<n, uses>>

\* A report refused (stale_fence, expired), or an executor that gives up: it forgets its claim.
Forget(e) ==
    /\ holder[e].action # 0
    /\ holder' = [holder EXCEPT ![e] = [action |-> 0, claim |-> 0]]
    /\ UNCHANGED <<n, act, uses, reports>>

Next ==
    \/ \E p \in Principals : Propose(p)
    \/ \E a \in Principals, i \in 1..n : Approve(a, i) \/ Deny(a, i)
    \/ \E i \in 1..n : Cancel(i) \/ ExpireApproval(i) \/ ExpireAction(i) \/ LeaseExpires(i)
    \/ \E e \in Executors, i \in 1..n : Claim(e, i)
    \/ \E e \in Executors : Report(e, "executed") \/ Report(e, "failed") \/ Forget(e)

Spec == Init /\ [][Next]_vars

\* --- safety ---------------------------------------------------------------------------------
UsedAtMostOnce == \A i \in Ids : uses[i] <= 1
ReportedAtMostOnce == \A i \in Ids : reports[i] <= 1
\* Only the holder of the live claim is a live executor, and there is at most one.
OneLiveExecutor ==
    \A i \in Ids : Cardinality({e \in Executors : holder[e].action = i /\ holder[e].claim = act[i].claim
                                                  /\ act[i].state = "executing"}) <= 1
\* Nothing runs without an approval granted by someone who does not act for the proposer.
RunsOnlyWhenApprovedByAnother ==
    \A i \in Ids : act[i].attempts > 0 =>
        /\ act[i].approval = "used"
        /\ act[i].decidedBy # None /\ ~ActsFor(act[i].decidedBy, act[i].proposer)
StatesAgree ==
    \A i \in Ids : /\ act[i].state = "proposed" => act[i].approval = "pending"
                   /\ act[i].state = "approved" => act[i].approval \in {"approved", "used"}
                   /\ act[i].state = "executing" => act[i].claim = act[i].attempts /\ act[i].claim > 0
\* Action property: no transition leaves a terminal state; the claim only grows.
TerminalIsFinal ==
    [][\A i \in 1..n : /\ act[i].state \in Terminal => act'[i].state = act[i].state
                       /\ act'[i].claim >= act[i].claim
                       /\ act'[i].proposer = act[i].proposer]_vars
=============================================================================
