import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as dovecot from "@pulumi-dovecot/dovecot";

const snippet = fs.readFileSync("conf.d/90-example.conf");
const hash = crypto.createHash("sha256").update(snippet).digest("hex");
new dovecot.Reload("config", { triggers: [`sha256:${hash}`] });
