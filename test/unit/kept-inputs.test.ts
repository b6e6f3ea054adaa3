// keptInputs (provider/handlers/state.ts): a read that found exactly what was recorded gives the
// engine no inputs, so it keeps the recorded ones; sameRecord is deep equality of plain data where a
// property set to undefined counts as left out. The life cycle against a real server is in
// test/server/refresh-kept.test.ts.
import * as fc from "fast-check";
import { isDeepStrictEqual } from "node:util";
import { keptInputs, sameRecord } from "../../provider/handlers/state";

const recorded = {
    __provider: 'exports.handler = require("pulumi-dovecot/serialized/folder-set").handler;',
    user: "alice@example.org",
    folders: [{ name: "A", subscribed: true }],
    mailboxes: [{ name: "A", declaredName: "A", guid: "0".repeat(32), subscribed: true, messages: 0 }],
};
const { __provider: _provider, ...props } = recorded;
const inputs = { user: "alice@example.org", folders: [{ name: "A", subscribed: true }] };

describe("keptInputs", () => {
    it("drops the inputs of a read that found what was recorded (the provider object and undefined aside)", () => {
        expect(
            keptInputs({ id: "x", props: { ...props, unconfirmed: undefined }, inputs }, recorded),
        ).toEqual({
            id: "x",
            props: { ...props, unconfirmed: undefined },
        });
    });

    it("keeps the inputs of a read that found a change, however deep", () => {
        const changes = [
            { ...props, mailboxes: [{ ...props.mailboxes[0], messages: 1 }] },
            { ...props, folders: [...props.folders, { name: "B", subscribed: true }] },
            { ...props, endpoint: "http://127.0.0.1:8080" },
            { user: props.user, folders: props.folders },
        ];
        for (const changed of changes) {
            expect(keptInputs({ id: "x", props: changed, inputs }, recorded)).toEqual({
                id: "x",
                props: changed,
                inputs,
            });
        }
    });

    it("leaves alone a read without inputs, one that found the resource gone, and a record that is no object", () => {
        expect(keptInputs({ id: "x", props }, recorded)).toEqual({ id: "x", props });
        expect(keptInputs({}, recorded)).toEqual({});
        expect(keptInputs({ id: "x", props, inputs }, undefined)).toEqual({ id: "x", props, inputs });
        expect(keptInputs({ id: "x", props, inputs }, [props])).toEqual({ id: "x", props, inputs });
    });
});

describe("sameRecord", () => {
    // JSON data as the engine hands it over (JSON has no -0, and no undefined).
    const json = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);

    it("agrees with Node's deep strict equality on JSON data", () => {
        fc.assert(
            fc.property(json, json, (a, b) => {
                expect(sameRecord(a, b)).toBe(isDeepStrictEqual(a, b));
                expect(sameRecord(a, structuredClone(a))).toBe(true);
            }),
            { numRuns: 500 },
        );
    });

    it("counts a property set to undefined as left out, and nothing else", () => {
        expect(sameRecord({ a: 1, b: undefined }, { a: 1 })).toBe(true);
        expect(sameRecord({ a: 1 }, { a: 1, b: undefined })).toBe(true);
        expect(sameRecord({ a: undefined }, { b: undefined })).toBe(true);
        expect(sameRecord({ a: null }, {})).toBe(false);
        expect(sameRecord([undefined], [])).toBe(false);
        expect(sameRecord([1, 2], { 0: 1, 1: 2 })).toBe(false);
        expect(sameRecord({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] })).toBe(false);
        expect(sameRecord("1", 1)).toBe(false);
        // Only own properties count: none of Object.prototype's stands in for a missing one.
        const inherited: unknown = Object.getOwnPropertyDescriptor(Object.prototype, "toString")?.value;
        expect(sameRecord({ toString: inherited }, { other: 1 })).toBe(false);
    });
});
