"""The GitHub side of the emulator: repository, runs and artifacts state, REST and GraphQL routes, payloads."""
