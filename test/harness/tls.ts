// Throwaway private CAs and server certificates for the TLS tests, made with the `openssl` command line
// in a temporary folder (removed at once): nothing is written anywhere else, nothing is trusted system-wide.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** A private CA and a server certificate it signed, all PEM. */
export interface TestPki {
    /** The CA's certificate (what dovecot:caCert takes). */
    caCert: string;
    /** The server's private key. */
    serverKey: string;
    /** The server's certificate, for 127.0.0.1 and localhost. */
    serverCert: string;
}

/**
 * Makes a new CA and a server certificate signed by it, for 127.0.0.1 and localhost unless
 * `subjectAltName` (openssl's syntax, `IP:...,DNS:...`) says otherwise.
 */
export function makeTestPki(
    name = "pulumi-dovecot test",
    subjectAltName = "IP:127.0.0.1,DNS:localhost",
): TestPki {
    const dir = mkdtempSync(path.join(os.tmpdir(), "pulumi-dovecot-pki-"));
    const file = (f: string) => path.join(dir, f);
    const openssl = (args: string[]) =>
        execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
    /** `openssl req` arguments that make a new P-256 key, unencrypted, into `keyFile`. */
    const newKey = (keyFile: string) => [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        keyFile,
    ];
    try {
        openssl([
            "req",
            "-x509",
            ...newKey(file("ca.key")),
            "-out",
            file("ca.pem"),
            "-days",
            "2",
            "-subj",
            `/CN=${name} CA`,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        openssl(["req", ...newKey(file("server.key")), "-out", file("server.csr"), "-subj", "/CN=127.0.0.1"]);
        writeFileSync(
            file("server.ext"),
            [
                "basicConstraints=CA:FALSE",
                "keyUsage=critical,digitalSignature",
                "extendedKeyUsage=serverAuth",
                `subjectAltName=${subjectAltName}`,
                "",
            ].join("\n"),
        );
        openssl([
            "x509",
            "-req",
            "-in",
            file("server.csr"),
            "-CA",
            file("ca.pem"),
            "-CAkey",
            file("ca.key"),
            "-CAcreateserial",
            "-out",
            file("server.pem"),
            "-days",
            "2",
            "-extfile",
            file("server.ext"),
        ]);
        return {
            caCert: readFileSync(file("ca.pem"), "utf8"),
            serverKey: readFileSync(file("server.key"), "utf8"),
            serverCert: readFileSync(file("server.pem"), "utf8"),
        };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
