-- Schema version 4: users and their ACL rules (authentication and authorization), shared by
-- every broker on the database, and a change counter the brokers poll to refresh their cache.
CREATE TABLE auth_user (
  name text PRIMARY KEY,
  record jsonb NOT NULL
);

CREATE TABLE acl_rule (
  user_name text NOT NULL REFERENCES auth_user (name) ON DELETE CASCADE,
  resource text NOT NULL,
  record jsonb NOT NULL,
  PRIMARY KEY (user_name, resource)
);

CREATE TABLE auth_version (
  id int PRIMARY KEY CHECK (id = 1),
  version bigint NOT NULL
);
INSERT INTO auth_version (id, version) VALUES (1, 0);
