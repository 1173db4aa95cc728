-- An Isso database, as text: the tables exactly as Isso (github.com/posativ/isso, master,
-- isso/db/{preferences,threads,comments}.py and __init__.py) creates them, and rows as
-- Isso writes them. The tests load it with sqlite3's executescript into a file.
CREATE TABLE IF NOT EXISTS preferences (    key VARCHAR PRIMARY KEY, value VARCHAR );
CREATE TABLE IF NOT EXISTS threads (     id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
CREATE TABLE IF NOT EXISTS comments (     tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER,     created FLOAT NOT NULL, modified FLOAT, mode INTEGER, remote_addr VARCHAR,     text VARCHAR NOT NULL, author VARCHAR, email VARCHAR, website VARCHAR,     likes INTEGER DEFAULT 0, dislikes INTEGER DEFAULT 0, voters BLOB NOT NULL,     notification INTEGER DEFAULT 0);
PRAGMA user_version = 3;
CREATE TRIGGER IF NOT EXISTS remove_stale_threads AFTER DELETE ON comments BEGIN     DELETE FROM threads WHERE id NOT IN (SELECT tid FROM comments); END;

INSERT INTO preferences (key, value) VALUES ('session-key', '6c3f0b8e2d7a41c59e0f8a1b2c3d4e5f60718293a4b5c6d7');

INSERT INTO threads (id, uri, title) VALUES (1, '/2024/hello/', 'Hello, world');
INSERT INTO threads (id, uri, title) VALUES (2, '/2024/%C3%BCber-caf%C3%A9/', 'Über café');
-- Left by an older Isso, without comments: no post is made for it.
INSERT INTO threads (id, uri, title) VALUES (3, '/about/', 'About');

INSERT INTO comments (tid, parent, created, modified, mode, remote_addr, text, author, email, website, voters, notification)
VALUES (1, NULL, 1704103200.25, NULL, 1, '192.168.1.0', 'Hello **world**, see [my site](https://alice.example/).', 'Alice', 'alice@example.org', 'https://alice.example/', zeroblob(256), 1);
INSERT INTO comments (tid, parent, created, modified, mode, remote_addr, text, author, email, website, voters, notification)
VALUES (1, 1, 1704106800.0, NULL, 1, '2001:0db8:0001:0000:0000:0000:0000:0000', 'Grüße aus Köln — *danke*! <script>alert(1)</script>', 'Jürgen Groß', NULL, NULL, zeroblob(256), 0);
INSERT INTO comments (tid, parent, created, modified, mode, remote_addr, text, author, email, website, voters, notification)
VALUES (1, 1, 1704110400.0, NULL, 2, '203.0.113.0', 'Held for a moderator.', 'Carol', 'carol@example.net', NULL, zeroblob(256), 0);
-- Deleted while it had a reply: Isso empties it and keeps it, mode 4.
INSERT INTO comments (tid, parent, created, modified, mode, remote_addr, text, author, email, website, voters, notification)
VALUES (1, NULL, 1704114000.0, 1704200000.0, 4, '198.51.100.0', '', NULL, 'dave@example.com', NULL, zeroblob(256), 0);
INSERT INTO comments (tid, parent, created, modified, mode, remote_addr, text, author, email, website, voters, notification)
VALUES (1, 4, 1704117600.0, NULL, 1, '198.51.100.0', 'Replying to what Dave said.', 'Erin', NULL, NULL, zeroblob(256), 0);
INSERT INTO comments (tid, parent, created, modified, mode, remote_addr, text, author, email, website, voters, notification)
VALUES (2, NULL, 1706788800.0, NULL, 1, '192.0.2.0', 'Ein Café, bitte.', 'Frank', 'frank@example.de', 'https://frank.example/', zeroblob(256), 0);
-- Isso writes 0.0.0.0 when the address it was given was none.
INSERT INTO comments (tid, parent, created, modified, mode, remote_addr, text, author, email, website, voters, notification)
VALUES (2, 6, 1706792400.0, NULL, 2, '0.0.0.0', 'Zwei!', '', NULL, NULL, zeroblob(256), 0);
