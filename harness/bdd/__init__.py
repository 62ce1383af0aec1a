"""pytest-bdd integration: the public step library and the Allure adapter."""
