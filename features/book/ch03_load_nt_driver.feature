@book @chapter3
Feature: CH03-LoadNTDriver - a console app installs, starts, stops and deletes a driver through the SCM (#3, §3)
  LoadNTDriver.exe calls OpenSCManager, CreateService (SERVICE_KERNEL_DRIVER,
  SERVICE_DEMAND_START), StartService, opens and closes \\.\HelloDDK, then
  ControlService(SERVICE_CONTROL_STOP) and DeleteService (book-experiments.md #3).

  Scenario: The console and DbgView show the load, one open and close, and the unload
    Given the scenario "book/ch03_load_nt_driver.yaml"
    When the application runs
    # book-experiments.md #3 "Observed output" (code), console, in order (sic)
    Then the application printed:
      """
      OpenSCManager() ok !
      CrateService() ok !
      press any to create device!
      Create Device ok !
      press any to unload the driver!
      OpenSCManager() ok !
      OpenService() ok !
      ControlService() ok !
      DelServer:eleteSrevice() ok !
      """
    # #3 "Observed output", DbgView: Enter/Leave DriverEntry, the dispatch routine for
    # CREATE and again for CLOSE, then Enter/Leave DriverUnload
    And the debug output is:
      """
      Enter DriverEntry
      Leave DriverEntry
      Enter HelloDDKDispatchRoutine
      Leave HelloDDKDispatchRoutine
      Enter HelloDDKDispatchRoutine
      Leave HelloDDKDispatchRoutine
      Enter DriverUnload
      Leave DriverUnload
      """
    # win32-io §7.3: StartService returns once DriverEntry has; §7.4: DriverUnload runs
    # before ControlService returns
    And the trace contains in order:
      | kind        | details.api   |
      | Win32Call   | StartService  |
      | ServiceCall | DriverEntry   |
      | Win32Return | StartService  |
      | Win32Call   | ControlService |
      | ServiceCall | DriverUnload  |
      | Win32Return | ControlService |
    # §7.6: the key goes once the service is stopped and its last handle is closed
    And the service "HelloDDK" does not exist
    And the object "\Driver\HelloDDK" does not exist
    And the object "\??\HelloDDK" does not exist
    And no bug check occurred
    And no thread is blocked
