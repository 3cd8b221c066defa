#!/usr/bin/env node
// The installed `flatdeck` command: TypeScript runs through tsx (a runtime dependency), no build step.
import { register } from 'tsx/esm/api';

register();
await import('../main/cli/main.ts');
