import { getAddress } from 'viem';

/**
 * Why an Ethereum address is not acceptable, or null. The address must carry its EIP-55
 * checksum (mixed case): an address typed wrong by one letter is refused instead of losing units.
 */
export function addressProblem(address: string): string | null {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) return 'must be 0x and 40 hexadecimal digits';
  const checksummed = getAddress(address.toLowerCase());
  if (address === checksummed) return null;
  if (address === address.toLowerCase() || address.slice(2) === address.slice(2).toUpperCase()) {
    return `must be in its EIP-55 checksummed form (${checksummed})`;
  }
  return 'has a wrong EIP-55 checksum';
}
