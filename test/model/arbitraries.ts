// How fast-check generates the model's steps and faults: one arbitrary per kind of step (plugin edits
// and duplicates weighted by listing them more than once), faults on either server. Kept apart so the
// mix of steps can be read (and tuned) in one place.
import fc from "fast-check";
import { FaultRule } from "../harness/fault-proxy";
import { SERVERS, SET_NAMES, ServerRef, USER_REFS, UserRef } from "./universe";
import { Model, Real } from "./model";
import { Fault } from "./apply";
import {
    Adopt,
    ChangeUser,
    Declare,
    Deliver,
    MoveMailbox,
    Picks,
    RefusedName,
    Remove,
    Rename,
    SetEdit,
    Toggle,
} from "./steps";
import { PluginEdit, PluginKind, PluginOp } from "./plugin-steps";
import { Duplicate } from "./duplicates";
import { Foreign, ForeignOp } from "./foreign";

const serverArb = fc.constantFrom<ServerRef>(...SERVERS);
const faultArb: fc.Arbitrary<Fault> = fc.oneof(
    { weight: 5, arbitrary: fc.constant<Fault>({ kind: "none" }) },
    {
        weight: 3,
        arbitrary: fc
            .tuple(
                serverArb,
                fc.array(
                    fc.record({
                        command: fc.constantFrom(
                            "mailboxCreate",
                            "mailboxRename",
                            "mailboxDelete",
                            "mailboxStatus",
                            "mailboxSubscribe",
                            "mailboxUnsubscribe",
                            "mailboxList",
                            "sieveList",
                            "sievePut",
                            "sieveActivate",
                            "sieveDeactivate",
                            "sieveRename",
                            "sieveDelete",
                            "aclGet",
                            "aclSet",
                            "aclDelete",
                            "mailboxMetadataGet",
                            "mailboxMetadataSet",
                            "mailboxMetadataUnset",
                        ),
                        action: fc.constantFrom<FaultRule["action"]>(
                            { kind: "close-before" },
                            { kind: "close-after" },
                            { kind: "exit", exitCode: 75 },
                        ),
                        times: fc.integer({ min: 1, max: 8 }),
                        skip: fc.integer({ min: 0, max: 3 }),
                    }),
                    { minLength: 1, maxLength: 2 },
                ),
            )
            .map(([server, rules]): Fault => ({ kind: "proxy", server, rules })),
    },
    {
        weight: 2,
        arbitrary: fc
            .record({
                server: serverArb,
                afterMs: fc.integer({ min: 300, max: 2500 }),
                forMs: fc.integer({ min: 300, max: 2500 }),
            })
            .map((r): Fault => ({ kind: "stop", ...r })),
    },
);

const pickArb = fc.nat(11);
const userArb = fc.constantFrom<UserRef>(...USER_REFS);
const declArb = fc.record({
    server: serverArb,
    user: userArb,
    subscribed: fc.boolean(),
    forceDestroy: fc.boolean(),
    adopt: fc.constant(false),
});
const picksArb: fc.Arbitrary<Picks> = fc.record({
    pick: fc.nat(11),
    a: fc.nat(11),
    b: fc.nat(11),
    flag: fc.boolean(),
    resolve: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
});
const pluginEdit = (kind: PluginKind, ops: PluginOp[]) =>
    fc.tuple(fc.constantFrom(...ops), picksArb, faultArb).map(([op, p, f]) => new PluginEdit(kind, op, p, f));
const EDITS: PluginOp[] = ["remove", "value", "retarget", "user", "server"];

/** The commands of the model. */
export const commandArbs: Array<fc.Arbitrary<fc.AsyncCommand<Model, Real>>> = [
    fc.tuple(pickArb, declArb, pickArb, faultArb).map(([p, d, n, f]) => new Declare(p, d, n, f)),
    fc.tuple(pickArb, faultArb).map(([p, f]) => new Remove(p, f)),
    fc.tuple(pickArb, pickArb, faultArb).map(([p, n, f]) => new Rename(p, n, f)),
    fc.tuple(pickArb, faultArb).map(([p, f]) => new RefusedName(p, f)),
    fc
        .tuple(
            pickArb,
            fc.constantFrom<"subscribed" | "forceDestroy">("subscribed", "forceDestroy"),
            faultArb,
        )
        .map(([p, field, f]) => new Toggle(p, field, f)),
    fc.tuple(pickArb, userArb, faultArb).map(([p, u, f]) => new ChangeUser(p, u, f)),
    fc.tuple(pickArb, faultArb).map(([p, f]) => new MoveMailbox(p, f)),
    fc.tuple(pickArb, faultArb).map(([p, f]) => new Adopt(p, f)),
    fc.tuple(pickArb, fc.integer({ min: 1, max: 2 })).map(([p, n]) => new Deliver(p, n)),
    fc
        .tuple(
            fc.oneof(
                fc.record({ op: fc.constant("declare" as const), server: serverArb }),
                fc.constant({ op: "forget" as const }),
                fc.record({
                    op: fc.constant("add" as const),
                    name: fc.constantFrom(...SET_NAMES),
                    child: fc.boolean(),
                }),
                fc.record({ op: fc.constant("remove" as const), index: fc.nat(3) }),
                fc.record({
                    op: fc.constant("rename" as const),
                    index: fc.nat(3),
                    name: fc.constantFrom(...SET_NAMES),
                }),
                fc.record({ op: fc.constant("subscribe" as const), index: fc.nat(3) }),
                fc.constant({ op: "force" as const }),
            ),
            faultArb,
        )
        .map(([e, f]) => new SetEdit(e, f)),
    pluginEdit("sieve", ["declare"]),
    pluginEdit("sieve", ["declare"]),
    pluginEdit("sieve", [...EDITS, "active", "active", "adopt"]),
    pluginEdit("acl", ["declare"]),
    pluginEdit("acl", EDITS),
    pluginEdit("meta", ["declare"]),
    pluginEdit("meta", EDITS),
    pluginEdit("sub", ["declare"]),
    pluginEdit("sub", ["remove", "retarget", "user", "server"]),
    fc
        .tuple(pickArb, pickArb, fc.boolean(), fc.option(pickArb, { nil: undefined }))
        .map(([p, v, first, b]) => new Duplicate(p, v, first, b)),
    fc
        .tuple(pickArb, pickArb, fc.boolean(), fc.option(pickArb, { nil: undefined }))
        .map(([p, v, first, b]) => new Duplicate(p, v, first, b)),
    fc
        .tuple(
            fc.constantFrom<ForeignOp>("sieve-put", "sieve-put", "sieve-delete", "acl", "meta"),
            picksArb,
            faultArb,
        )
        .map(([op, p, f]) => new Foreign(op, p, f)),
];
