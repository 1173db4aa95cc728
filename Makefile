PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APP_INSTALLED := $(VENV)/.installed-app
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
# The host names `make run` answers to: the app takes its own address from the Host
# header only for these (any other gets 400). Set it when serving on another HOST.
TRUSTED_HOSTS ?= $(HOST),localhost
# The example blog that `make run` serves beside the app, on an origin of its own, with the
# comments embedded (examples/blog/, issue 13).
BLOG_PORT ?= 5001

.PHONY: run moderator test lint format bench bench-import bench-linkbacks bench-memory bench-profile bench-dashboard chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The app alone, for `make run` and `make moderator`.
$(APP_INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $(APP_INSTALLED)

# The app and the test extras, for `make test`, `lint`, `format` and `bench`.
$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(APP_INSTALLED) $(INSTALLED)

## Create the virtualenv, install the app, migrate, load the demo post and serve it.
run: $(APP_INSTALLED)
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi demo
	@# Registered once: a second `make run` finds the site there already.
	@out=$$($(BIN)/flask --app wsgi sites add 'http://$(HOST):$(BLOG_PORT)' --name 'Example blog' 2>&1) \
		|| echo "$$out" | grep -q 'registered already' || { echo "$$out" >&2; exit 1; }
	@$(BIN)/python examples/blog/serve.py --host $(HOST) --port $(BLOG_PORT) \
		--comments http://$(HOST):$(PORT) --stop-with $$PPID &
	@echo
	@echo "The demo post: http://$(HOST):$(PORT)/posts/river-bridge-reopens/"
	@echo "The dashboard: http://$(HOST):$(PORT)/moderation/"
	@echo "A blog on another origin, with the comments embedded: http://$(HOST):$(BLOG_PORT)/"
	@echo "Create the first administrator in another shell, in this folder:"
	@echo "    make moderator NAME=admin EMAIL=you@example.com"
	@[ -n "$$MAIL_URL" ] || { echo "Mail is not configured (MAIL_URL): each message it would send, such as the"; \
		echo "notice of a new comment to that address, is written to instance/outbox/ as an .eml file."; }
	@echo
	TRUSTED_HOSTS='$(TRUSTED_HOSTS)' $(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

## Create an administrator of the dashboard: make moderator NAME=alice [EMAIL=alice@example.com].
## The password is asked for twice at the prompt, or read from one line of standard input
## when piped. With EMAIL, a notice of each new entry goes there (without MAIL_URL: into
## instance/outbox/).
moderator: $(APP_INSTALLED)
	@if [ -z '$(NAME)' ]; then echo "Name the account: make moderator NAME=yourname" >&2; exit 2; fi
	@$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi moderators create --admin $$([ -t 0 ] || echo --password-stdin) \
		$(if $(EMAIL),--email '$(EMAIL)') '$(NAME)'

## Create the virtualenv and run the whole test suite, in TEST_WORKERS processes (one per
## core of a 2-core machine; each has its own databases and browser).
TEST_WORKERS ?= 2
test: $(INSTALLED) chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n $(TEST_WORKERS)

## Browser tests drive Debian's chromium; install it when missing and we are root.
chromium:
	@command -v chromium >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Throughput and latency against the framework ceiling, and the comment POST against
## the same-stack ceiling (bench/same_stack.py) (needs wrk). QUICK=1: a short check.
bench: $(INSTALLED)
	$(BIN)/python bench/run.py $(if $(QUICK),--quick)

## Webmention verifications per second: the in-process pool and 1, 2, 4 RQ workers (RQ
## needs Redis at 127.0.0.1:6379).
bench-linkbacks: $(INSTALLED)
	$(BIN)/python bench/linkback_jobs.py $(if $(QUICK),--quick)

## Peak RSS of one gunicorn worker after 10,000 page views over 1,000 posts.
bench-memory: $(INSTALLED)
	$(BIN)/python bench/memory.py $(if $(QUICK),--quick)

## Where the comment POST spends its time beyond the same-stack ceiling (cProfile).
bench-profile: $(INSTALLED)
	$(BIN)/python bench/profile_post.py

## The dashboard's queue pages at 1,000 and 100,000 entries, on SQLite and on PostgreSQL
## (a database created and dropped on the server of TEST_DATABASE_URL, or of
## postgresql://postgres@127.0.0.1/test). QUICK=1: 3 requests a page instead of 15.
bench-dashboard: $(INSTALLED)
	$(BIN)/python bench/dashboard_scale.py $(if $(QUICK),--requests 3) \
		$(if $(TEST_DATABASE_URL),--database-url '$(TEST_DATABASE_URL)')

## Peak memory of `flask import wordpress` on a generated 200 MB WXR file.
bench-import: $(INSTALLED)
	$(BIN)/python bench/import_memory.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
