@pitfall @verifier @chapter9
Feature: Pitfall - a cancel routine that keeps the cancel spin lock (SDV CancelSpinLock)
  Book #25's CancelReadIRP without IoReleaseCancelSpinLock. The cancel routine is
  entered holding the cancel spin lock and must release it before it returns.

  Scenario: The verifier reports the held lock, and the next IoCancelIrp deadlocks on it - 0xF
    Given the scenario "pitfalls/verifier_cancel_spin_lock.yaml"
    When the application runs
    # verifier-rules R60 CancelSpinLock (an SDV rule, reported under the verifier): the
    # routine returned holding the lock
    Then the trace reports a rule violation containing "CancelSpinLock"
    And the debug output contains in order:
      | Enter CancelReadIRP |
      | Leave CancelReadIRP |
    # CancelIo goes on to the second read: IoCancelIrp takes the cancel spin lock the
    # same CPU still holds - the checked-build outcome, 0xF with the lock (kernel-env
    # §2.2: the cancel spin lock is the machine's first, stand-in address 1)
    And the machine bug-checked with SPIN_LOCK_ALREADY_OWNED (0xF)
    And the bug check parameters are 1, 0, 0, 0
    And the debug output contains "Enter CancelReadIRP" 1 time
