@book @chapter8
Feature: CH08-NamedEventBetweenDrivers - two drivers share a KEVENT by name (#21, §8.5.5)
  DriverX creates \BaseNamedObjects\SharedEvent with IoCreateNotificationEvent and
  clears it; DriverY's identical call opens the same event. Y's IOCTL waits on it; X's
  IOCTL, sent 1 s later from another app thread, sets it.

  Scenario: The second IoCreateNotificationEvent opens the first one's event
    Given the scenario "book/ch08_named_event_between_drivers.yaml"
    When the application runs
    # book-experiments.md #21 "Behaviour to model": X creates the event or opens it, Y's
    # call with the same name gets the same event (sync-objects 7.9: a NEW event starts
    # signaled - state 1 - and an existing one is returned unchanged: X had cleared it)
    Then the debug output shows "DriverX:event 0x" and "DriverY:event 0x" followed by the same pointer
    # #21: Y waits on it, X sets it
    And the debug output contains in order:
      | DriverX:event 0x%x state 1      |
      | DriverY:event 0x%x state 0      |
      | DriverY:waiting                 |
      | DriverX:KeSetEvent              |
      | DriverY:the shared event is set |
    And the debug line "DriverY:the shared event is set" was printed at 1 s
    And "waitY" returned TRUE with 0 bytes
    And "setX" returned TRUE with 0 bytes
    And no bug check occurred
    And no thread is blocked
