#!/usr/bin/env node
// Runs the compiled CLI (npm run build); during development use `npx tsx src/main.ts`.
import '../dist/main.js';
