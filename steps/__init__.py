"""Step definitions: thin adapters from Gherkin to cicd_acceptance."""
