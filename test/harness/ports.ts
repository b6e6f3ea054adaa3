// Loopback TCP ports for test servers: free now, and kept from other test processes (and from the
// kernel's own choice of ports) until they are let go, so that a server can stop and start again on
// the same ones.
import { randomInt } from "node:crypto";
import * as dgram from "node:dgram";
import { readFileSync } from "node:fs";
import * as net from "node:net";

/**
 * The lowest port of the kernel's ephemeral range, the ports it hands out on its own: to `bind(0)` and
 * as the local end of every outgoing connection.
 */
function ephemeralLow(): number {
    try {
        const low = Number(
            readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0],
        );
        if (Number.isInteger(low) && low > 11_000) return low;
    } catch {
        // not Linux: the IANA range
    }
    return 49_152;
}

/** The UDP sockets that hold this process's claims on TCP ports, by port. */
const claims = new Map<number, dgram.Socket>();

/** Binds a UDP socket to 127.0.0.1:`port`, or answers undefined when another socket has it. */
function claimUdp(port: number): Promise<dgram.Socket | undefined> {
    return new Promise((resolve) => {
        const socket = dgram.createSocket("udp4");
        socket.once("error", () => {
            socket.close();
            resolve(undefined);
        });
        socket.bind(port, "127.0.0.1", () => {
            socket.unref();
            resolve(socket);
        });
    });
}

/** True when a TCP listener could take 127.0.0.1:`port` now (it is let go at once). */
function tcpFree(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const server = net.createServer();
        server.unref();
        server.once("error", () => resolve(false));
        server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
}

/**
 * A TCP port on 127.0.0.1 for a test server, free now and still free after the server stops, so that
 * it can start again on it (stopServer and startServer, a proxy closed and opened again).
 *
 * It is taken from below the kernel's ephemeral range, which the kernel never hands out on its own:
 * an ephemeral port freed by a stop can be taken before the start by the local end of any outgoing
 * connection (seen in CI: a restarted backend's imap-login failed with "Address already in use").
 * Test processes side by side share that range, so each port is claimed by a UDP socket bound to the
 * same number (UDP and TCP ports are apart, and the kernel decides who binds first); the claim lasts
 * until releasePort or the end of the process, however it ends.
 */
export async function freePort(): Promise<number> {
    const low = 10_000;
    const span = ephemeralLow() - low;
    for (let i = 0; i < 500; i++) {
        const port = low + randomInt(span);
        if (claims.has(port)) continue;
        const claim = await claimUdp(port);
        if (!claim) continue;
        if (await tcpFree(port)) {
            claims.set(port, claim);
            return port;
        }
        claim.close();
    }
    throw new Error(`no free TCP port between ${low} and ${low + span} on 127.0.0.1 after 500 tries`);
}

/** Lets go of a port from freePort once nothing will listen on it again. */
export function releasePort(port: number): void {
    claims.get(port)?.close();
    claims.delete(port);
}

/** Whether something accepts TCP connections on 127.0.0.1:`port` (asked for at most half a second). */
export function portAnswers(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ host: "127.0.0.1", port });
        socket.setTimeout(500);
        socket.on("connect", () => {
            socket.destroy();
            resolve(true);
        });
        socket.on("error", () => resolve(false));
        socket.on("timeout", () => {
            socket.destroy();
            resolve(false);
        });
    });
}
