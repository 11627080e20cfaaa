/** The pension ecosystem's application library: used by the scenario and the portal. See examples/pension/README.md. */
export * from './deployment.js'
export * from './clients.js'
export * from './governance.js'
export * from './pension.js'
export * from './setup.js'
export * from './artifacts.js'
