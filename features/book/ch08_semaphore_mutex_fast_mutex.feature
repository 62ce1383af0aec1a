@book @chapter8
Feature: CH08-SemaphoreMutexFastMutex - kernel semaphore, mutex and fast mutex (#22, §8.5.6-§8.5.8)
  Three tests of the book's chapter 8. A KSEMAPHORE of count 2 is taken twice and the
  third wait is satisfied by a thread's KeReleaseSemaphore. Two threads share a KMUTEX,
  then a FAST_MUTEX, each holding it across a 50 us KeStallExecutionProcessor; the
  creator waits for both thread objects with KeWaitForMultipleObjects(WaitAll). The
  mutex and fast-mutex tests run on two CPUs, so the threads really run at the same time.

  Scenario: Semaphore - the count reads 2 then 1, and the third wait waits for the thread's release
    Given the scenario "book/ch08_semaphore.yaml"
    When the application runs
    # book-experiments.md #22 "Semaphore" (RMD version): "The Semaphore count is 2",
    # "... is 1" after the first wait; the thread prints Enter Semaphore Thread and
    # Leave Semaphore Thread; the third wait returns after the thread's release, then
    # "After KeWaitForSingleObject". sync-objects 3.6: (2, 2) -> two waits leave 0 ->
    # the third wait blocks until KeReleaseSemaphore(+1); 3.5 KeReadStateSemaphore
    # returns the count
    Then the debug output is:
      """
      The Semaphore count is 2
      The Semaphore count is 1
      Enter Semaphore Thread
      Leave Semaphore Thread
      After KeWaitForSingleObject
      """
    # sync-objects 3.6 / 3.5: the first two waits are satisfied at once; the third
    # blocks, and only the thread's release (the wait test runs because the count was 0)
    # ends it; 4.1: the new thread runs only once its creator waits (one CPU)
    And the trace contains in order:
      | kind          | api                  | status         | thread          | process  |
      | WaitBegin     |                      |                | main            | test.exe |
      | WaitEnd       |                      | STATUS_SUCCESS | main            | test.exe |
      | WaitBegin     |                      |                | main            | test.exe |
      | WaitEnd       |                      | STATUS_SUCCESS | main            | test.exe |
      | ServiceReturn | PsCreateSystemThread |                | main            | test.exe |
      | WaitBegin     |                      |                | main            | test.exe |
      | ThreadStart   |                      |                | MyProcessThread | test.exe |
      | ThreadExit    |                      |                | MyProcessThread | test.exe |
      | WaitEnd       |                      | STATUS_SUCCESS | main            | test.exe |
    And "test" returned TRUE with 0 bytes
    And no bug check occurred
    And no thread is blocked

  Scenario: Mutex - on two CPUs the two critical sections never interleave
    Given the scenario "book/ch08_mutex.yaml"
    When the application runs
    # book-experiments.md #22 "Mutex" "Observed": "the critical sections never
    # interleave. The Enter lines may interleave with the other thread's lines";
    # sync-objects 1.7: the second thread's wait returns only after the first release
    Then the debug output contains in order:
      | MutexThread1 After Wait For Mutext! |
      | MutexThread1 After stall Execute!   |
      | MutexThread2 After Wait For Mutext! |
      | MutexThread2 After stall Execute!   |
    # What the model prints, line by line. MutexThread1 starts at once on the idle CPU0
    # and takes the free mutex; MutexThread2 starts on CPU1 when the creator blocks in
    # its wait, so its Enter line falls inside MutexThread1's critical section, while
    # MutexThread1 stalls on the other CPU - as on a two-CPU Windows, where the second
    # thread is not held back by anything before its KeWaitForSingleObject. The release
    # hands the mutex straight to the waiter (sync-objects 1.4, no barging); that
    # MutexThread1's "Leave" line (printed after its release, outside the critical
    # section) comes before MutexThread2's "After Wait" is the model's order: on
    # Windows the two CPUs could print those two lines either way round
    And the debug output is:
      """
      Enter MutexThread1
      MutexThread1 After Wait For Mutext!
      Enter MutexThread2
      MutexThread1 After stall Execute!
      Leave MutexThread1
      MutexThread2 After Wait For Mutext!
      MutexThread2 After stall Execute!
      Leave MutexThread2
      """
    # the two threads really ran at the same time, one on each CPU
    And the debug line "Enter MutexThread1" was printed in process "test.exe" on CPU 0
    And the debug line "Enter MutexThread2" was printed in process "test.exe" on CPU 1
    # sync-objects 4.6: KeStallExecutionProcessor(50) holds its CPU for exactly 50 us;
    # MutexThread2 gets the mutex at 0.05 ms, when MutexThread1 releases it (1.4)
    And the debug line "Enter MutexThread" was printed at 0, 0 ms
    And the debug line "After Wait For Mutext!" was printed at 0, 0.05 ms
    And the debug line "After stall Execute!" was printed at 0.05, 0.1 ms
    # sync-objects 1.3 / 1.4: MutexThread2's wait blocks until the release, then
    # returns STATUS_SUCCESS; 1.7 / 3.7 / 3.9: the creator's WaitAll on the two thread
    # objects returns STATUS_SUCCESS after both threads have exited
    And the trace contains in order:
      | kind          | api                       | status         | thread       | cpu |
      | ServiceReturn | ObReferenceObjectByHandle | STATUS_SUCCESS | main         | 1   |
      | ServiceReturn | ObReferenceObjectByHandle | STATUS_SUCCESS | main         | 1   |
      | WaitBegin     |                           |                | main         | 1   |
      | WaitBegin     |                           |                | MutexThread2 | 1   |
      | ServiceCall   | KeReleaseMutex            |                | MutexThread1 | 0   |
      | WaitEnd       |                           | STATUS_SUCCESS | MutexThread2 | 1   |
      | ServiceCall   | KeReleaseMutex            |                | MutexThread2 | 1   |
      | ThreadExit    |                           |                | MutexThread2 | 1   |
      | WaitEnd       |                           | STATUS_SUCCESS | main         | 1   |
    And "test" returned TRUE with 0 bytes
    And no bug check occurred
    And no thread is blocked

  Scenario: Fast mutex - on two CPUs the regions never interleave and run at APC_LEVEL
    Given the scenario "book/ch08_fast_mutex.yaml"
    When the application runs
    # book-experiments.md #22 "Fast mutex" (HX 8.5FstMutex): each thread prints Enter
    # MyProcessThreadN, stalls 50 us and prints Leave MyProcessThreadN, all inside the
    # fast mutex; the test then prints "After KeWaitForMultipleObject". sync-objects
    # 2.10: as 1.7 - the regions never interleave. In HX the Enter line is printed
    # after ExAcquireFastMutex, so here no line of one thread can fall inside the other's
    # region and the whole order is fixed once MyProcessThread1 is first to acquire
    # (it starts at once on the idle CPU1; MyProcessThread2 only when DriverEntry's
    # thread waits on CPU0). The app then opens and closes the device: CREATE and CLOSE
    # print the dispatch routine's Enter/Leave pair; HX registers no CLEANUP routine,
    # so the I/O manager's default handler takes that one, silently (#0.3 "Slot coverage")
    Then the debug output is:
      """
      Enter DriverEntry
      Enter MyProcessThread1
      Leave MyProcessThread1
      Enter MyProcessThread2
      Leave MyProcessThread2
      After KeWaitForMultipleObject
      DriverEntry end
      Enter HelloDDKDispatchRoutine
      Leave HelloDDKDispatchRoutine
      Enter HelloDDKDispatchRoutine
      Leave HelloDDKDispatchRoutine
      """
    # sync-objects 2.2: ExAcquireFastMutex raises to APC_LEVEL and returns there, also
    # after waiting for the mutex (MyProcessThread2 waits on its event at APC_LEVEL);
    # 2.3: ExReleaseFastMutex goes back to the acquire's IRQL (PASSIVE_LEVEL); 2.10: the
    # protected region runs at APC_LEVEL; 4.1: from DriverEntry, NtCurrentProcess() is
    # the System process
    And the trace contains in order:
      | kind          | api                | text                   | irql          | thread           | cpu | process |
      | DbgPrint      |                    | Enter MyProcessThread1 | APC_LEVEL     | MyProcessThread1 | 1   | System  |
      | WaitBegin     |                    |                        | APC_LEVEL     | MyProcessThread2 | 0   | System  |
      | DbgPrint      |                    | Leave MyProcessThread1 | APC_LEVEL     | MyProcessThread1 | 1   | System  |
      | ServiceCall   | ExReleaseFastMutex |                        | APC_LEVEL     | MyProcessThread1 | 1   | System  |
      | ThreadExit    |                    |                        | PASSIVE_LEVEL | MyProcessThread1 | 1   | System  |
      | WaitEnd       |                    |                        | APC_LEVEL     | MyProcessThread2 | 0   | System  |
      | DbgPrint      |                    | Enter MyProcessThread2 | APC_LEVEL     | MyProcessThread2 | 0   | System  |
      | DbgPrint      |                    | Leave MyProcessThread2 | APC_LEVEL     | MyProcessThread2 | 0   | System  |
      | ServiceCall   | ExReleaseFastMutex |                        | APC_LEVEL     | MyProcessThread2 | 0   | System  |
      | ThreadExit    |                    |                        | PASSIVE_LEVEL | MyProcessThread2 | 0   | System  |
      | WaitEnd       |                    |                        | PASSIVE_LEVEL | DriverLoader     | 0   | System  |
      | DbgPrint      |                    | DriverEntry end        | PASSIVE_LEVEL | DriverLoader     | 0   | System  |
    # sync-objects 4.6: each stall holds its CPU for exactly 50 us; MyProcessThread2
    # enters when MyProcessThread1 releases (2.3), and DriverEntry's WaitAll ends when
    # the second thread exits (1.7 / 2.10)
    And the debug line "Enter MyProcessThread" was printed at 0, 0.05 ms
    And the debug line "Leave MyProcessThread" was printed at 0.05, 0.1 ms
    And the debug line "After KeWaitForMultipleObject" was printed at 0.1 ms
    And no bug check occurred
    And no thread is blocked
