#!/usr/bin/env node
'use strict';
// The command-line entry point; everything lives in the compiled TypeScript.
require('../dist/src/main.js').main(process.argv.slice(2));
