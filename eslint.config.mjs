// Lint settings: ESLint's and typescript-eslint's recommended rules over the library, tests, examples
// and benchmark. CommonJS `require` is allowed: the provider loads its implementation lazily by name.
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
    ...tseslint.configs.recommended,
    {
        rules: {
            "@typescript-eslint/no-unused-vars": [
                "error",
                { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
            ],
            "@typescript-eslint/no-require-imports": "off",
        },
    },
    {
        files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
        languageOptions: {
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
