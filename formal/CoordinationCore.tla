--------------------------- MODULE CoordinationCore ---------------------------
(***************************************************************************)
(* Locks (leases) with fencing tokens, agent sessions, and the task        *)
(* lifecycle, as the database implements them. Names mirror the SQL:       *)
(*   lock rows        coord.locks (path, mode, holder session, fence)     *)
(*   lease expiry     expires_at <= coord.now()  (action ExpireLock)       *)
(*   fences, claims   one increasing sequence (coord.lock_fence_seq)       *)
(*   task states      queued, claimed, completed, failed, cancelled, dead  *)
(*                                                                         *)
(* A session that dies keeps running as a zombie: its process still       *)
(* believes it holds what it held and may try to release, renew or         *)
(* complete. Every such attempt must be refused by the fence or claim      *)
(* check. CheckClaims = FALSE lets complete_task skip the claim check (the *)
(* broken variant, MC_broken.cfg): TLC must then find a counterexample.    *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS Sessions, Tasks, MaxAttempts, MaxFence, CheckClaims

CONSTANT Paths                  \* lockable paths; the model treats all of them as overlapping
Overlap(p, q) == TRUE           \* (a directory and a file inside it); prefix logic is SQL-tested
Modes == {"exclusive", "shared"}
TaskStates == {"queued", "claimed", "completed", "failed", "cancelled", "dead"}
Finished == {"completed", "failed", "cancelled", "dead"}
None == "none"

VARIABLES
    fence,          \* last value taken from the fence sequence
    locks,          \* set of lock rows
    lockBelief,     \* [Sessions -> set of [path, fence]]: what each process thinks it holds
    alive,          \* [Sessions -> BOOLEAN]: heartbeat within the session TTL
    task,           \* [Tasks -> [state, claim, holder, attempts, live]]
    claimBelief,    \* [Sessions -> set of [task, claim]]
    completions,    \* [Tasks -> Nat]: how many times each task was completed
    staleRelease,   \* history: TRUE once a release with a stale fence took effect
    staleCompletion \* history: TRUE once a completion with a stale claim took effect

vars == <<fence, locks, lockBelief, alive, task, claimBelief, completions, staleRelease, staleCompletion>>
history == <<staleRelease, staleCompletion>>

LockRow == [path : Paths, mode : Modes, holder : Sessions, fence : 1..MaxFence, live : BOOLEAN]
TaskRow == [state : TaskStates, claim : 0..MaxFence, holder : Sessions \cup {None},
            attempts : 0..MaxAttempts, live : BOOLEAN]

TypeOK ==
    /\ fence \in 0..MaxFence
    /\ locks \subseteq LockRow
    /\ lockBelief \in [Sessions -> SUBSET [path : Paths, fence : 1..MaxFence]]
    /\ alive \in [Sessions -> BOOLEAN]
    /\ task \in [Tasks -> TaskRow]
    /\ claimBelief \in [Sessions -> SUBSET [task : Tasks, claim : 1..MaxFence]]
    /\ completions \in [Tasks -> 0..2]
    /\ staleRelease \in BOOLEAN
    /\ staleCompletion \in BOOLEAN

Init ==
    /\ fence = 0
    /\ locks = {}
    /\ lockBelief = [s \in Sessions |-> {}]
    /\ alive = [s \in Sessions |-> TRUE]
    /\ task = [t \in Tasks |-> [state |-> "queued", claim |-> 0, holder |-> None, attempts |-> 0, live |-> FALSE]]
    /\ claimBelief = [s \in Sessions |-> {}]
    /\ completions = [t \in Tasks |-> 0]
    /\ staleRelease = FALSE
    /\ staleCompletion = FALSE

Conflicts(l, s, p, m) ==
    /\ l.live
    /\ l.holder # s
    /\ Overlap(l.path, p)
    /\ (m = "exclusive" \/ l.mode = "exclusive")

(* coord.try_acquire_lock: serialized per path, expired rows cleaned, new fence. *)
AcquireLock(s, p, m) ==
    /\ alive[s]
    /\ fence < MaxFence
    /\ ~\E l \in locks : Conflicts(l, s, p, m)
    /\ ~\E l \in locks : l.holder = s /\ l.path = p /\ l.live
    /\ fence' = fence + 1
    /\ locks' = {l \in locks : l.live /\ ~(l.holder = s /\ l.path = p)}
                \cup {[path |-> p, mode |-> m, holder |-> s, fence |-> fence + 1, live |-> TRUE]}
    /\ lockBelief' = [lockBelief EXCEPT ![s] = @ \cup {[path |-> p, fence |-> fence + 1]}]
    /\ UNCHANGED <<alive, task, claimBelief, completions, history>>

(* coord.end_or_extend_lease (release): only the holder's live lease with this fence. *)
ReleaseLock(s, b) ==
    /\ b \in lockBelief[s]
    /\ LET mine == {l \in locks : l.holder = s /\ l.path = b.path /\ l.live /\ l.fence = b.fence}
       IN /\ locks' = locks \ mine
          /\ staleRelease' = (staleRelease \/ \E l \in mine : l.fence # b.fence)
    /\ lockBelief' = [lockBelief EXCEPT ![s] = @ \ {b}]
    /\ UNCHANGED <<fence, alive, task, claimBelief, completions, staleCompletion>>

(* Time passes beyond a lease's expires_at. The holder is not told. *)
ExpireLock(l) ==
    /\ l \in locks /\ l.live
    /\ locks' = (locks \ {l}) \cup {[l EXCEPT !.live = FALSE]}
    /\ UNCHANGED <<fence, lockBelief, alive, task, claimBelief, completions, history>>

(* claim_task: a queued task gets a new claim token (fence) and a live lease. *)
ClaimTask(s, t) ==
    /\ alive[s]
    /\ fence < MaxFence
    /\ task[t].state = "queued"
    /\ fence' = fence + 1
    /\ task' = [task EXCEPT ![t] = [@ EXCEPT !.state = "claimed", !.claim = fence + 1, !.holder = s, !.live = TRUE]]
    /\ claimBelief' = [claimBelief EXCEPT ![s] = @ \cup {[task |-> t, claim |-> fence + 1]}]
    /\ UNCHANGED <<locks, lockBelief, alive, completions, history>>

Requeue(row) ==
    IF row.attempts + 1 >= MaxAttempts
    THEN [row EXCEPT !.state = "dead", !.claim = 0, !.holder = None, !.live = FALSE, !.attempts = MaxAttempts]
    ELSE [row EXCEPT !.state = "queued", !.claim = 0, !.holder = None, !.live = FALSE, !.attempts = @ + 1]

ClaimIsLive(t, c) == task[t].state = "claimed" /\ task[t].live /\ task[t].claim = c

(* complete_task: only the live claimant, at most once. *)
CompleteTask(s, b) ==
    /\ b \in claimBelief[s]
    /\ task[b.task].state = "claimed"
    /\ IF CheckClaims THEN ClaimIsLive(b.task, b.claim) ELSE TRUE
    /\ task' = [task EXCEPT ![b.task] = [@ EXCEPT !.state = "completed", !.holder = None, !.live = FALSE]]
    /\ completions' = [completions EXCEPT ![b.task] = @ + 1]
    /\ staleCompletion' = (staleCompletion \/ ~ClaimIsLive(b.task, b.claim))
    /\ claimBelief' = [claimBelief EXCEPT ![s] = @ \ {b}]
    /\ UNCHANGED <<fence, locks, lockBelief, alive, staleRelease>>

(* A refused completion or failure: the process learns its claim is stale. *)
ForgetClaim(s, b) ==
    /\ b \in claimBelief[s]
    /\ ~ClaimIsLive(b.task, b.claim)
    /\ claimBelief' = [claimBelief EXCEPT ![s] = @ \ {b}]
    /\ UNCHANGED <<fence, locks, lockBelief, alive, task, completions, history>>

(* fail_task by the live claimant: retryable -> back to the queue (or dead after the last
   attempt); not retryable -> failed. A stale claim is refused (ForgetClaim). *)
FailTask(s, b, retryable) ==
    /\ b \in claimBelief[s]
    /\ ClaimIsLive(b.task, b.claim)
    /\ task' = [task EXCEPT ![b.task] = IF retryable THEN Requeue(@)
                                        ELSE [@ EXCEPT !.state = "failed", !.holder = None, !.live = FALSE]]
    /\ claimBelief' = [claimBelief EXCEPT ![s] = @ \ {b}]
    /\ UNCHANGED <<fence, locks, lockBelief, alive, completions, history>>

(* cancel_task: a queued or claimed task is cancelled; its claimant's later completion is stale. *)
CancelTask(t) ==
    /\ task[t].state \in {"queued", "claimed"}
    /\ task' = [task EXCEPT ![t] = [@ EXCEPT !.state = "cancelled", !.holder = None, !.live = FALSE]]
    /\ UNCHANGED <<fence, locks, lockBelief, alive, claimBelief, completions, history>>

(* redrive_task: an operator returns a dead or failed task to the queue. *)
RedriveTask(t) ==
    /\ task[t].state \in {"dead", "failed"}
    /\ task' = [task EXCEPT ![t] = [@ EXCEPT !.state = "queued", !.attempts = 0, !.claim = 0]]
    /\ UNCHANGED <<fence, locks, lockBelief, alive, claimBelief, completions, history>>

(* The claim lease runs out. *)
ExpireClaim(t) ==
    /\ task[t].state = "claimed" /\ task[t].live
    /\ task' = [task EXCEPT ![t].live = FALSE]
    /\ UNCHANGED <<fence, locks, lockBelief, alive, claimBelief, completions, history>>

(* Rescue (lazily inside claim, eagerly in coord maintain): an expired claim returns the
   task to the queue with attempt + 1, or moves it to dead after MaxAttempts. *)
RescueTask(t) ==
    /\ task[t].state = "claimed" /\ ~task[t].live
    /\ task' = [task EXCEPT ![t] = Requeue(@)]
    /\ UNCHANGED <<fence, locks, lockBelief, alive, claimBelief, completions, history>>

(* The session's heartbeat stops. Its process may go on acting as a zombie. *)
SessionDies(s) ==
    /\ alive[s]
    /\ alive' = [alive EXCEPT ![s] = FALSE]
    /\ UNCHANGED <<fence, locks, lockBelief, task, claimBelief, completions, history>>

(* Dead-session cleanup, per session: its leases released, its claims requeued. *)
CleanupSession(s) ==
    /\ ~alive[s]
    /\ (\E l \in locks : l.holder = s) \/ (\E t \in Tasks : task[t].state = "claimed" /\ task[t].holder = s)
    /\ locks' = {l \in locks : l.holder # s}
    /\ task' = [t \in Tasks |-> IF task[t].state = "claimed" /\ task[t].holder = s THEN Requeue(task[t]) ELSE task[t]]
    /\ UNCHANGED <<fence, lockBelief, alive, claimBelief, completions, history>>

Next ==
    \/ \E s \in Sessions, p \in Paths, m \in Modes : AcquireLock(s, p, m)
    \/ \E s \in Sessions : \E b \in lockBelief[s] : ReleaseLock(s, b)
    \/ \E l \in locks : ExpireLock(l)
    \/ \E s \in Sessions, t \in Tasks : ClaimTask(s, t)
    \/ \E s \in Sessions : \E b \in claimBelief[s] :
          CompleteTask(s, b) \/ ForgetClaim(s, b) \/ FailTask(s, b, TRUE) \/ FailTask(s, b, FALSE)
    \/ \E t \in Tasks : ExpireClaim(t) \/ RescueTask(t) \/ CancelTask(t) \/ RedriveTask(t)
    \/ \E s \in Sessions : SessionDies(s) \/ CleanupSession(s)

Fairness ==
    /\ \A t \in Tasks : WF_vars(RescueTask(t))
    /\ \A s \in Sessions : WF_vars(CleanupSession(s))

Spec == Init /\ [][Next]_vars /\ Fairness

-----------------------------------------------------------------------------
(* Invariants, named after what the SQL guarantees. *)

\* No two live leases of different holders overlap unless both are shared.
ExclusiveLocks ==
    \A l1, l2 \in locks :
        (l1 # l2 /\ l1.live /\ l2.live /\ l1.holder # l2.holder /\ Overlap(l1.path, l2.path))
            => (l1.mode = "shared" /\ l2.mode = "shared")

\* Every grant carries its own fence (the sequence never repeats).
FencesAreUnique ==
    \A l1, l2 \in locks : l1 # l2 => l1.fence # l2.fence

\* Only the current fence of a live lease releases it (a zombie's old fence does nothing).
NoStaleRelease == ~staleRelease

\* A claimed task has exactly one claim token, and it is the newest fence handed out for it.
SingleLiveClaim ==
    \A t \in Tasks : task[t].state = "claimed" => (task[t].claim > 0 /\ task[t].holder \in Sessions)

\* A task completes at most once.
CompletedAtMostOnce == \A t \in Tasks : completions[t] <= 1

\* Only the live claimant completes, and a task completes at most once.
CompletionByLiveClaimantOnly == ~staleCompletion /\ CompletedAtMostOnce

\* Every task is in exactly one state; only a claimed task has a live claim or a holder.
NoLostTask ==
    \A t \in Tasks : /\ task[t].state \in TaskStates
                    /\ (task[t].state # "claimed") => (~task[t].live /\ task[t].holder = None)

\* A completed task stays completed (redrive applies to dead and failed tasks only).
CompletedIsFinal == [][\A t \in Tasks : task[t].state = "completed" => task'[t].state = "completed"]_vars

(* Liveness: a claim whose lease expired eventually ends (returned to the queue, buried as
   dead, or cancelled; never stuck as claimed), and
   a dead session's leases and claims are eventually cleaned up. *)
EventualReclaimAfterExpiry ==
    \A t \in Tasks : (task[t].state = "claimed" /\ ~task[t].live) ~> (task[t].state # "claimed")

DeadSessionsAreCleanedUp ==
    \A s \in Sessions : (~alive[s]) ~> (~\E l \in locks : l.holder = s)

=============================================================================
