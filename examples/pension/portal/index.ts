/** The pension portal (see README.md): `startPortal({ app, port })`. */
export { startPortal, type RunningPortal, type StartPortalOptions } from './server.js'
