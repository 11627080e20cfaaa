/** Types that say what they hold. */
export type Hex = `0x${string}`
export type Address = `0x${string}`
export type Hash = `0x${string}`

declare const brand: unique symbol
export type Brand<T, B extends string> = T & { readonly [brand]: B }
