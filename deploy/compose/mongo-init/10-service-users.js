// Run by the mongo image once, on the first start with an empty data volume, as the root user
// (docker-compose.yml mounts this folder on /docker-entrypoint-initdb.d; the image ignores
// users.json there). One user per service, created in the service's own database (its
// authSource), with readWrite on that database and nothing else: no service reads another's.
// Passwords come from compose secrets (files), never from this repository.
const fs = require("fs");
const dir = process.env.CONCORD_INITDB_DIR || "/docker-entrypoint-initdb.d";
const secrets = process.env.CONCORD_SECRETS || "/run/secrets";
const users = JSON.parse(fs.readFileSync(`${dir}/users.json`, "utf8"));
for (const [name, spec] of Object.entries(users)) {
  const pwd = fs.readFileSync(`${secrets}/${spec.password_secret}`, "utf8").trim();
  if (!pwd) {
    throw new Error(`secret ${spec.password_secret} is empty`);
  }
  db.getSiblingDB(name).createUser({ user: name, pwd, roles: spec.roles });
  print(`created Mongo user ${name} (${spec.roles.map((r) => `${r.role}@${r.db}`).join(", ")})`);
}
