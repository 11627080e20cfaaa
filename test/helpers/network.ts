export * from '../../bench/lib/quorate-network.js'
