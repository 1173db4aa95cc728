"""Infrastructure: configuration, the database and its models, the safe fetcher, the
durable job queue, rate limits and the rendered-thread cache. It may use the pure
rules, never the services or the entry points."""
