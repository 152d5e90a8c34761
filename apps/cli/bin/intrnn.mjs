#!/usr/bin/env node
// Checked-in launcher so the bin link exists before the first build; the code lives in dist/.
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
