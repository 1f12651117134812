"""The operators' command-line tools: concord-topics, concord-contracts, concord-dlq.
Each is the typer layer over a library module of concord_shared."""
