// The `dovecot` provider plugin: the same handlers as the dynamic resources, served over Pulumi's
// provider protocol (the ResourceProvider gRPC service, from the stubs @pulumi/pulumi ships), so that
// programs in YAML, Python, Go and TypeScript use them through the package's schema and SDKs. A thin
// adapter: it routes each type token to its handler, turns protocol values into the plain values the
// handlers take (and back), and adds what only the protocol knows: the resource's name (from its URN)
// for check()'s messages and the GUID tags, imports by ids a person can type, and the functions.
import * as grpc from "@grpc/grpc-js";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as plugproto from "@pulumi/pulumi/proto/plugin_pb";
import * as statusproto from "@pulumi/pulumi/proto/status_pb";
import { Any } from "google-protobuf/google/protobuf/any_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { isDeepStrictEqual } from "node:util";
import { DoveadmError } from "../client/errors";
import { FACE_KEY, NAME_KEY } from "../check";
import { clientFor, configureConnection, currentConnections } from "../connection";
import { dispatch } from "../dispatcher";
import { KINDS } from "../kinds";
import { AnyKind } from "../kinds/kind";
import { PartialFailureError } from "../handlers/partial";
import { creatorOf } from "../ownership";
import { mailboxStatusOf, mailboxesOf, quotaOf, sieveScriptsOf } from "../queries";
import { CONFIG_LABELS, SettingsError, providerLabels, providerSettingsProblems } from "../settings";
import { forResource, log } from "../engine";
import { plainCredentialWarning, plainCredentials } from "../plaintext";
import { Plain, SECRET_SIGNATURE, SIGNATURE_KEY, fromStruct, toStruct } from "./values";

/** The package's name, as the schema and the type tokens spell it. */
export const PACKAGE = "dovecot";

/** The name the engine gives a default provider instance (`default`, or `default_0_3_0`). */
const DEFAULT_PROVIDER = /^default(?:_[0-9A-Za-z_]+)?$/;

/** The type token of a kind (`dovecot:index:Mailbox`). */
export function tokenOf(kind: AnyKind): string {
    return `${PACKAGE}:index:${kind.name}`;
}

/** The settings a provider takes (its inputs; `dovecot:<name>` in the stack configuration). */
const SETTINGS = [
    "endpoint",
    "apiKey",
    "password",
    "caCert",
    "insecureSkipVerify",
    "timeoutMs",
    "maxConcurrency",
    "separator",
    "servers",
] as const;

/** The parts of a URN: `urn:pulumi:<stack>::<project>::<type>::<name>`. */
function urnParts(urn: string): { stack: string; project: string; type: string; name: string } {
    const parts = urn.split("::");
    const stack = (parts[0] ?? "").replace(/^urn:pulumi:/, "");
    const type = (parts[2] ?? "").split("$").pop() ?? "";
    return { stack, project: parts[1] ?? "", type, name: parts.slice(3).join("::") };
}

function kindOf(type: string): AnyKind {
    const kind = KINDS.find((k) => tokenOf(k) === type);
    if (!kind) throw new Error(`the dovecot provider has no resource type ${JSON.stringify(type)}`);
    return kind;
}

type Callback<T> = (error: grpc.ServiceError | null, value?: T) => void;

/**
 * The gRPC error for a failure: its message alone (the advice is in it). A failure after the object
 * was made (a PartialFailureError) carries the object's id and properties in the status details, so
 * that the engine records it.
 */
function grpcError(error: unknown): grpc.ServiceError {
    const message = error instanceof Error ? error.message : String(error);
    const metadata = new grpc.Metadata();
    if (error instanceof PartialFailureError) {
        const detail = new provproto.ErrorResourceInitFailed();
        detail.setId(error.id);
        const { __provider: _provider, ...properties } = error.properties;
        detail.setProperties(toStruct(properties));
        detail.setReasonsList(error.reasons);
        const any = new Any();
        any.pack(detail.serializeBinary(), "pulumirpc.ErrorResourceInitFailed");
        const status = new statusproto.Status();
        status.setCode(grpc.status.UNKNOWN);
        status.setMessage(message);
        status.addDetails(any);
        metadata.add("grpc-status-details-bin", Buffer.from(status.serializeBinary()));
    }
    const failure: grpc.ServiceError = Object.assign(new Error(message), {
        code: grpc.status.UNKNOWN,
        details: message,
        metadata,
    });
    return failure;
}

/** Runs `work` and answers the call with its result, or its failure. */
function answer<T>(callback: Callback<T>, work: () => Promise<T>): void {
    work().then(
        (value) => callback(null, value),
        (error: unknown) => callback(grpcError(error)),
    );
}

/**
 * `answer` for a call about the resource `urn`: what `work` tells of its progress (a Reload's wait,
 * see progress.ts) is attached to that resource.
 */
function answerAbout<T>(urn: string, callback: Callback<T>, work: () => Promise<T>): void {
    answer(callback, () => forResource(urn, work));
}

function unimplemented<T>(callback: Callback<T>, what: string): void {
    const error: grpc.ServiceError = Object.assign(
        new Error(`${what} is not implemented by the dovecot provider`),
        {
            code: grpc.status.UNIMPLEMENTED,
            details: `${what} is not implemented by the dovecot provider`,
            metadata: new grpc.Metadata(),
        },
    );
    callback(error);
}

/** The settings given to Configure, as the connection layer reads them (`dovecot:<name>`). */
function settingsOf(request: provproto.ConfigureRequest): Map<string, string> {
    const settings = new Map<string, string>();
    const args = fromStruct(request.getArgs());
    for (const name of SETTINGS) {
        const value = args[name];
        if (value === undefined || value === null || value === "") continue;
        settings.set(`${PACKAGE}:${name}`, typeof value === "string" ? value : JSON.stringify(value));
    }
    // The engine also passes the stack configuration as `dovecot:config:<name>`.
    request.getVariablesMap().forEach((value, key) => {
        const name = key.replace(/^dovecot:config:/, "");
        if (name !== key && !settings.has(`${PACKAGE}:${name}`) && value !== "")
            settings.set(`${PACKAGE}:${name}`, value);
    });
    return settings;
}

/** The functions of the package, by token. */
const FUNCTIONS: Readonly<Record<string, (args: Record<string, Plain>) => Promise<unknown>>> = {
    "dovecot:index:getMailboxStatus": async (args) => {
        const status = await mailboxStatusOf(currentConnections(), args as never);
        return status ? { found: true, ...status } : { found: false };
    },
    "dovecot:index:listMailboxes": async (args) => ({
        mailboxes: await mailboxesOf(currentConnections(), args as never),
    }),
    "dovecot:index:getQuota": async (args) => ({
        quotas: await quotaOf(currentConnections(), args as never),
    }),
    "dovecot:index:listSieveScripts": async (args) => ({
        scripts: await sieveScriptsOf(currentConnections(), args as never),
    }),
};

/** The argument of a lookup that its failure is about: the user, the mailbox, or else the server. */
function lookupArgumentOf(error: DoveadmError | SettingsError): string {
    if (error instanceof SettingsError) return "server";
    if (error.code === "DOVEADM_NO_USER" || error.code === "DOVEADM_INVALID_USER") return "user";
    if (error.code === "DOVEADM_INVALID_NAME" || error.code === "DOVEADM_MAILBOX_NOT_FOUND") return "mailbox";
    return "server";
}

/** The keys whose values differ between `olds` and `news` (for the engine's display of a diff). */
function changedKeys(olds: Record<string, Plain>, news: Record<string, Plain>): string[] {
    const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
    return [...keys].filter((k) => !k.startsWith("__") && !isDeepStrictEqual(olds[k], news[k])).sort();
}

/** The ResourceProvider service of the `dovecot` plugin. */
export class DovecotProvider {
    /** The URN of the provider instance this process serves, from the engine's CheckConfig. */
    private providerUrn: string | undefined;

    constructor(
        private readonly version: string,
        private readonly schema: string,
    ) {}

    getPluginInfo(_call: unknown, callback: Callback<plugproto.PluginInfo>): void {
        const info = new plugproto.PluginInfo();
        info.setVersion(this.version);
        callback(null, info);
    }

    getSchema(_call: unknown, callback: Callback<provproto.GetSchemaResponse>): void {
        const response = new provproto.GetSchemaResponse();
        response.setSchema(this.schema);
        callback(null, response);
    }

    checkConfig(
        call: grpc.ServerUnaryCall<provproto.CheckRequest, provproto.CheckResponse>,
        callback: Callback<provproto.CheckResponse>,
    ): void {
        answer(callback, async () => {
            // The engine checks a provider's settings in the process that then serves it.
            this.providerUrn = call.request.getUrn();
            const { name } = urnParts(this.providerUrn);
            const explicit = !DEFAULT_PROVIDER.test(name);
            const news = fromStruct(call.request.getNews());
            const problems = providerSettingsProblems(
                news,
                explicit ? providerLabels(name) : CONFIG_LABELS,
                explicit,
            );
            const response = new provproto.CheckResponse();
            // An endpoint that holds credentials is refused, and kept in the state as a secret.
            const endpoint = news.endpoint;
            const inputs = call.request.getNews()?.toJavaScript() ?? {};
            if (typeof endpoint === "string" && /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(endpoint.trim()))
                inputs.endpoint = { [SIGNATURE_KEY]: SECRET_SIGNATURE, value: endpoint };
            response.setInputs(Struct.fromJavaScript(inputs));
            // No property named: the engine would print the value beside it, and it may hold a credential.
            response.setFailuresList(
                problems.map((reason) => {
                    const failure = new provproto.CheckFailure();
                    failure.setProperty("");
                    failure.setReason(reason);
                    return failure;
                }),
            );
            return response;
        });
    }

    diffConfig(
        call: grpc.ServerUnaryCall<provproto.DiffRequest, provproto.DiffResponse>,
        callback: Callback<provproto.DiffResponse>,
    ): void {
        const olds = fromStruct(call.request.getOldInputs() ?? call.request.getOlds());
        const news = fromStruct(call.request.getNews());
        const diffs = changedKeys(olds, news);
        const response = new provproto.DiffResponse();
        response.setChanges(
            diffs.length > 0
                ? provproto.DiffResponse.DiffChanges.DIFF_SOME
                : provproto.DiffResponse.DiffChanges.DIFF_NONE,
        );
        response.setDiffsList(diffs);
        callback(null, response);
    }

    configure(
        call: grpc.ServerUnaryCall<provproto.ConfigureRequest, provproto.ConfigureResponse>,
        callback: Callback<provproto.ConfigureResponse>,
    ): void {
        answer(callback, async () => {
            const settings = settingsOf(call.request);
            configureConnection({ get: (key) => settings.get(key) });
            // The default provider's settings are the stack's configuration: say which credentials
            // its file holds in plain text.
            const { stack, name } = urnParts(this.providerUrn ?? "");
            if (stack !== "" && DEFAULT_PROVIDER.test(name)) {
                for (const credential of plainCredentials(process.cwd(), stack))
                    await log("warning", plainCredentialWarning(credential), this.providerUrn);
            }
            const response = new provproto.ConfigureResponse();
            // Secrets are unwrapped by the engine; it marks as secret the outputs whose inputs were.
            response.setAcceptsecrets(false);
            response.setSupportspreview(false);
            response.setAcceptresources(false);
            response.setAcceptoutputs(false);
            return response;
        });
    }

    check(
        call: grpc.ServerUnaryCall<provproto.CheckRequest, provproto.CheckResponse>,
        callback: Callback<provproto.CheckResponse>,
    ): void {
        answerAbout(call.request.getUrn(), callback, async () => {
            const { stack, project, type, name } = urnParts(call.request.getUrn());
            const kind = kindOf(type);
            const olds = fromStruct(call.request.getOlds());
            const news: Record<string, unknown> = {
                ...fromStruct(call.request.getNews()),
                [NAME_KEY]: name,
                [FACE_KEY]: "package",
            };
            // What a dynamic resource's constructor adds: the tag of the GUIDs the resource makes.
            if (kind.tagsGuids && news.creator === undefined)
                news.creator = creatorOf(kind.name, project, stack, name);
            const result = (await dispatch(kind.name, "check", [olds, news])) as {
                inputs?: Record<string, unknown>;
                failures?: Array<{ property: string; reason: string }>;
            };
            const response = new provproto.CheckResponse();
            const { [NAME_KEY]: _name, [FACE_KEY]: _face, ...inputs } = result.inputs ?? news;
            response.setInputs(toStruct(inputs));
            response.setFailuresList(
                (result.failures ?? []).map((f) => {
                    const failure = new provproto.CheckFailure();
                    failure.setProperty(f.property);
                    failure.setReason(f.reason);
                    return failure;
                }),
            );
            return response;
        });
    }

    diff(
        call: grpc.ServerUnaryCall<provproto.DiffRequest, provproto.DiffResponse>,
        callback: Callback<provproto.DiffResponse>,
    ): void {
        answerAbout(call.request.getUrn(), callback, async () => {
            const kind = kindOf(urnParts(call.request.getUrn()).type);
            const olds = fromStruct(call.request.getOlds());
            const news = fromStruct(call.request.getNews());
            const result = (await dispatch(kind.name, "diff", [call.request.getId(), olds, news])) as {
                changes?: boolean;
                replaces?: string[];
                deleteBeforeReplace?: boolean;
            };
            const response = new provproto.DiffResponse();
            response.setChanges(
                result.changes === true
                    ? provproto.DiffResponse.DiffChanges.DIFF_SOME
                    : result.changes === false
                      ? provproto.DiffResponse.DiffChanges.DIFF_NONE
                      : provproto.DiffResponse.DiffChanges.DIFF_UNKNOWN,
            );
            response.setReplacesList(result.replaces ?? []);
            response.setDeletebeforereplace(result.deleteBeforeReplace ?? false);
            const oldInputs = fromStruct(call.request.getOldInputs());
            if (result.changes) response.setDiffsList(changedKeys(oldInputs, news));
            return response;
        });
    }

    create(
        call: grpc.ServerUnaryCall<provproto.CreateRequest, provproto.CreateResponse>,
        callback: Callback<provproto.CreateResponse>,
    ): void {
        answerAbout(call.request.getUrn(), callback, async () => {
            const kind = kindOf(urnParts(call.request.getUrn()).type);
            const inputs = fromStruct(call.request.getProperties());
            const result = (await dispatch(kind.name, "create", [inputs])) as {
                id: string;
                outs: Record<string, unknown>;
            };
            const response = new provproto.CreateResponse();
            response.setId(result.id);
            response.setProperties(toStruct(result.outs));
            return response;
        });
    }

    read(
        call: grpc.ServerUnaryCall<provproto.ReadRequest, provproto.ReadResponse>,
        callback: Callback<provproto.ReadResponse>,
    ): void {
        answerAbout(call.request.getUrn(), callback, async () => {
            const kind = kindOf(urnParts(call.request.getUrn()).type);
            const id = call.request.getId();
            const props = fromStruct(call.request.getProperties());
            // An import: the id alone, as a person typed it.
            const result: {
                id?: string;
                props?: Record<string, unknown>;
                inputs?: Record<string, unknown>;
                warnings?: string[];
            } =
                Object.keys(props).length === 0
                    ? await kind.importId.read(id, clientFor(undefined))
                    : ((await dispatch(kind.name, "read", [id, props])) as object);
            for (const warning of result.warnings ?? []) await log("warning", warning, call.request.getUrn());
            const response = new provproto.ReadResponse();
            if (!result.id) return response; // gone
            response.setId(result.id);
            response.setProperties(toStruct(result.props));
            if (result.inputs) response.setInputs(toStruct(result.inputs));
            return response;
        });
    }

    update(
        call: grpc.ServerUnaryCall<provproto.UpdateRequest, provproto.UpdateResponse>,
        callback: Callback<provproto.UpdateResponse>,
    ): void {
        answerAbout(call.request.getUrn(), callback, async () => {
            const kind = kindOf(urnParts(call.request.getUrn()).type);
            const olds = fromStruct(call.request.getOlds());
            const news = fromStruct(call.request.getNews());
            const result = (await dispatch(kind.name, "update", [call.request.getId(), olds, news])) as {
                outs?: Record<string, unknown>;
            };
            const response = new provproto.UpdateResponse();
            response.setProperties(toStruct(result.outs ?? news));
            return response;
        });
    }

    delete(call: grpc.ServerUnaryCall<provproto.DeleteRequest, Empty>, callback: Callback<Empty>): void {
        answerAbout(call.request.getUrn(), callback, async () => {
            const kind = kindOf(urnParts(call.request.getUrn()).type);
            await dispatch(kind.name, "delete", [
                call.request.getId(),
                fromStruct(call.request.getProperties()),
            ]);
            return new Empty();
        });
    }

    invoke(
        call: grpc.ServerUnaryCall<provproto.InvokeRequest, provproto.InvokeResponse>,
        callback: Callback<provproto.InvokeResponse>,
    ): void {
        answer(callback, async () => {
            const token = call.request.getTok();
            const fn = FUNCTIONS[token];
            if (!fn) throw new Error(`the dovecot provider has no function ${JSON.stringify(token)}`);
            const response = new provproto.InvokeResponse();
            try {
                response.setReturn(toStruct((await fn(fromStruct(call.request.getArgs()))) as object));
            } catch (error) {
                // A failure of the lookup itself is the program's to see, with its message.
                if (!(error instanceof DoveadmError) && !(error instanceof SettingsError)) throw error;
                const failure = new provproto.CheckFailure();
                // Every SDK prints the property after the reason, in parentheses: name the argument at fault.
                failure.setProperty(lookupArgumentOf(error));
                failure.setReason(error.message);
                response.setFailuresList([failure]);
            }
            return response;
        });
    }

    cancel(_call: unknown, callback: Callback<Empty>): void {
        callback(null, new Empty());
    }

    attach(_call: unknown, callback: Callback<Empty>): void {
        callback(null, new Empty());
    }

    handshake(_call: unknown, callback: Callback<never>): void {
        unimplemented(callback, "Handshake");
    }

    parameterize(_call: unknown, callback: Callback<never>): void {
        unimplemented(callback, "Parameterize");
    }

    call(_call: unknown, callback: Callback<never>): void {
        unimplemented(callback, "Call");
    }

    construct(_call: unknown, callback: Callback<never>): void {
        unimplemented(callback, "Construct");
    }

    getMapping(_call: unknown, callback: Callback<never>): void {
        unimplemented(callback, "GetMapping");
    }

    getMappings(_call: unknown, callback: Callback<never>): void {
        unimplemented(callback, "GetMappings");
    }

    list(call: grpc.ServerWritableStream<unknown, unknown>): void {
        call.emit("error", {
            code: grpc.status.UNIMPLEMENTED,
            details: "List is not implemented by the dovecot provider",
        });
    }
}

/** Serves the provider on a free port of 127.0.0.1; resolves with the port. */
export async function serve(version: string, schema: string): Promise<number> {
    const server = new grpc.Server({ "grpc.max_receive_message_length": 1 << 30 });
    server.addService(
        provrpc.ResourceProviderService,
        new DovecotProvider(version, schema) as unknown as grpc.UntypedServiceImplementation,
    );
    return new Promise((resolve, reject) => {
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) =>
            error ? reject(error) : resolve(port),
        );
    });
}
