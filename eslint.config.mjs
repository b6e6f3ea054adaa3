// Lint settings: ESLint's recommended rules and typescript-eslint's type-checked ones (the compiler's
// types behind each rule: floating promises, awaits of non-promises, unsafe `any`) over the library,
// tests, examples and benchmark. CommonJS `require` is allowed: the kinds and the state's released
// modules are loaded by literal path, lazily. The tests handle the server's and the engine's answers
// as loose JSON on purpose (harness types `Loose = any`), so the no-unsafe-* rules are off there only.
// sdk/ is generated (scripts/gen-sdk.sh) and left as Pulumi's code generators write it.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    {
        ignores: [
            "node_modules/",
            "dist/",
            ".cache/",
            "docs/api/",
            "**/node_modules/",
            "**/bin/",
            "sdk/",
            "provider/kinds/*/example/",
        ],
    },
    js.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked,
    {
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        rules: {
            "@typescript-eslint/no-unused-vars": [
                "error",
                { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
            ],
            "@typescript-eslint/no-require-imports": "off",
            "@typescript-eslint/no-floating-promises": "error",
            // Off: the provider's methods and the tests' fakes implement async interfaces (Pulumi's
            // ResourceProvider, the client's transport) whose bodies need not wait; a missing `await`
            // on a promise is caught by no-floating-promises and await-thenable instead.
            "@typescript-eslint/require-await": "off",
        },
    },
    {
        files: ["test/**/*.ts"],
        rules: {
            "@typescript-eslint/no-unsafe-assignment": "off",
            "@typescript-eslint/no-unsafe-member-access": "off",
            "@typescript-eslint/no-unsafe-call": "off",
            "@typescript-eslint/no-unsafe-argument": "off",
            "@typescript-eslint/no-unsafe-return": "off",
        },
    },
    {
        files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
        ...tseslint.configs.disableTypeChecked,
        languageOptions: {
            parserOptions: { projectService: false, program: null, project: false },
            globals: {
                require: "readonly",
                module: "writable",
                process: "readonly",
                console: "readonly",
                __dirname: "readonly",
            },
        },
    },
);
