import { mount } from 'svelte';
import App from './App.svelte';
import NoConnection from './views/NoConnection.svelte';
import './app.css';
import { createClient } from './lib/transport/select.ts';

const target = document.getElementById('app');
if (!target) throw new Error('flatdeck: #app is missing from index.html');
const client = createClient(window);
if (client) mount(App, { target, props: { client } });
else mount(NoConnection, { target });
