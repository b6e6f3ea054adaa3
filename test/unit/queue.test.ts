import { Settleable, UserQueue, WHOLE_USER } from "../../provider/client/queue";
import { sleep } from "../harness/waits";

/** A queue whose runners record each batch they get and resolve every operation with its input. */
function recordingQueue() {
    const queue = new UserQueue();
    const batches: string[][] = [];
    const runner = async (batch: Array<Settleable<string, string>>) => {
        batches.push(batch.map((op) => op.input));
        await sleep(5);
        for (const op of batch) op.resolve(op.input);
    };
    const op = (kind: string, name: string, keys: string[] = [name]) =>
        queue.enqueue(kind, `${kind}:${name}`, runner, keys);
    return { op, batches };
}

describe("the per-user operation queue", () => {
    it("runs one batch at a time and merges operations of one kind queued meanwhile", async () => {
        const { op, batches } = recordingQueue();
        await Promise.all([op("create", "a"), op("create", "b"), op("create", "c")]);
        expect(batches).toEqual([["create:a", "create:b", "create:c"]]);
    });

    it("merges a kind across other kinds' operations on other mailboxes", async () => {
        const { op, batches } = recordingQueue();
        await Promise.all([op("create", "a"), op("status", "a"), op("create", "b"), op("status", "b")]);
        expect(batches).toEqual([
            ["create:a", "create:b"],
            ["status:a", "status:b"],
        ]);
    });

    it("never moves an operation ahead of an earlier one on the same mailbox", async () => {
        const { op, batches } = recordingQueue();
        await Promise.all([op("create", "a"), op("delete", "a"), op("create", "a"), op("create", "b")]);
        expect(batches).toEqual([["create:a", "create:b"], ["delete:a"], ["create:a"]]);
    });

    it("lets nothing cross an operation on the whole user", async () => {
        const { op, batches } = recordingQueue();
        await Promise.all([op("create", "a"), op("rename", "x", [WHOLE_USER]), op("create", "b")]);
        expect(batches).toEqual([["create:a"], ["rename:x"], ["create:b"]]);
    });

    it("fails only the operations of a batch whose runner throws", async () => {
        const queue = new UserQueue();
        const failing = queue.enqueue("bad", 1, async () => {
            throw new Error("boom");
        });
        const fine = queue.enqueue("good", 2, async (batch: Array<Settleable<number, number>>) => {
            for (const op of batch) op.resolve(op.input * 10);
        });
        await expect(failing).rejects.toThrow("boom");
        await expect(fine).resolves.toBe(20);
    });
});
