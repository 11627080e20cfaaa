export * from '../../bench/lib/quorate-node.js'
