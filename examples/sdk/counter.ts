/**
 * The compiled Counter contract (examples/sdk/Counter.sol, solc with the optimizer, EVM cancun):
 * its ABI `as const`, so that the SDK's actions infer argument and result types from it.
 * Regenerate after editing Counter.sol; test/unit/sdk/counter-artifact.test.ts checks they match.
 */
export const counterArtifact = {
  abi: [
    {
      "inputs": [
        {
          "internalType": "uint256",
          "name": "max_",
          "type": "uint256"
        }
      ],
      "stateMutability": "nonpayable",
      "type": "constructor"
    },
    {
      "inputs": [
        {
          "internalType": "uint256",
          "name": "given",
          "type": "uint256"
        },
        {
          "internalType": "uint256",
          "name": "max",
          "type": "uint256"
        }
      ],
      "name": "TooLarge",
      "type": "error"
    },
    {
      "anonymous": false,
      "inputs": [
        {
          "indexed": true,
          "internalType": "address",
          "name": "by",
          "type": "address"
        },
        {
          "indexed": false,
          "internalType": "uint256",
          "name": "count",
          "type": "uint256"
        }
      ],
      "name": "Incremented",
      "type": "event"
    },
    {
      "inputs": [
        {
          "internalType": "uint256",
          "name": "n",
          "type": "uint256"
        }
      ],
      "name": "add",
      "outputs": [],
      "stateMutability": "nonpayable",
      "type": "function"
    },
    {
      "inputs": [
        {
          "internalType": "address",
          "name": "",
          "type": "address"
        }
      ],
      "name": "bySender",
      "outputs": [
        {
          "internalType": "uint256",
          "name": "",
          "type": "uint256"
        }
      ],
      "stateMutability": "view",
      "type": "function"
    },
    {
      "inputs": [],
      "name": "count",
      "outputs": [
        {
          "internalType": "uint256",
          "name": "",
          "type": "uint256"
        }
      ],
      "stateMutability": "view",
      "type": "function"
    },
    {
      "inputs": [],
      "name": "increment",
      "outputs": [],
      "stateMutability": "nonpayable",
      "type": "function"
    },
    {
      "inputs": [],
      "name": "max",
      "outputs": [
        {
          "internalType": "uint256",
          "name": "",
          "type": "uint256"
        }
      ],
      "stateMutability": "view",
      "type": "function"
    },
    {
      "inputs": [
        {
          "internalType": "uint256",
          "name": "n",
          "type": "uint256"
        }
      ],
      "name": "positive",
      "outputs": [
        {
          "internalType": "uint256",
          "name": "",
          "type": "uint256"
        }
      ],
      "stateMutability": "pure",
      "type": "function"
    }
  ],
  bytecode: '0x60a0604052348015600e575f5ffd5b5060405161037c38038061037c833981016040819052602b916032565b6080526048565b5f602082840312156041575f5ffd5b5051919050565b60805161030f61006d5f395f818160ca015281816101440152610180015261030f5ff3fe608060405234801561000f575f5ffd5b5060043610610060575f3560e01c806306661abd146100645780630874da991461007e5780631003e2d21461009157806347181108146100a65780636ac5db19146100c5578063d09de08a146100ec575b5f5ffd5b61006c5f5481565b60405190815260200160405180910390f35b61006c61008c366004610270565b6100f4565b6100a461009f366004610270565b610142565b005b61006c6100b4366004610287565b60016020525f908152604090205481565b61006c7f000000000000000000000000000000000000000000000000000000000000000081565b6100a46101fb565b5f5f821161013e5760405162461bcd60e51b81526020600482015260126024820152716e206d75737420626520706f73697469766560701b60448201526064015b60405180910390fd5b5090565b7f00000000000000000000000000000000000000000000000000000000000000008111156101ac5760405163677fd0e360e01b8152600481018290527f00000000000000000000000000000000000000000000000000000000000000006024820152604401610135565b805f5f8282546101bc91906102b4565b90915550505f5460405190815233907f38ac789ed44572701765277c4d0970f2db1c1a571ed39e84358095ae4eaa54209060200160405180910390a250565b60015f5f82825461020c91906102b4565b9091555050335f90815260016020819052604082208054919290916102329084906102b4565b90915550505f5460405190815233907f38ac789ed44572701765277c4d0970f2db1c1a571ed39e84358095ae4eaa54209060200160405180910390a2565b5f60208284031215610280575f5ffd5b5035919050565b5f60208284031215610297575f5ffd5b81356001600160a01b03811681146102ad575f5ffd5b9392505050565b808201808211156102d357634e487b7160e01b5f52601160045260245ffd5b9291505056fea2646970667358221220d626c14d96463be288a2ff18f279d9128faf9632fb5fc756c023047aaba8de7864736f6c634300081e0033',
} as const
