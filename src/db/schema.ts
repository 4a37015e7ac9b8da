import type { ColumnType, Generated } from 'kysely';

/** Timestamps are read as RFC 3339 UTC strings (see database.ts) and written as strings. */
type Timestamp = ColumnType<string, string | undefined, string>;
type Json<T = unknown> = ColumnType<T, string, string>;

export interface KontorSettingsTable {
  key: string;
  value: string;
}

export interface IssuersTable {
  id: string;
  natural_person: Json<Record<string, unknown> | null> | null;
  legal_person: Json<Record<string, unknown> | null> | null;
  bank_account: Json<Record<string, unknown> | null> | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DistributionPlatformsTable {
  id: string;
  platform_company_name: string;
  web_subscription_enabled: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface IssuerPlatformAllowancesTable {
  issuer_id: string;
  distribution_platform_id: string;
  is_allowed: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type PrincipalType = 'issuer' | 'distribution_platform' | 'registrar';

export interface ApiClientsTable {
  id: string;
  client_id: string;
  secret_hash: string;
  name: string;
  scopes: string[];
  principal_type: PrincipalType;
  issuer_id: string | null;
  distribution_platform_id: string | null;
  created_at: Timestamp;
  revoked_at: string | null;
}

export interface StudioUsersTable {
  id: string;
  issuer_id: string | null;
  email: string;
  password_hash: string;
  created_at: Timestamp;
}

export interface IdempotencyKeysTable {
  api_client_id: string;
  method: string;
  path: string;
  key: string;
  request_hash: string;
  response_status: number;
  response_body: string;
  created_at: Timestamp;
}

export interface ProductsTable {
  id: string;
  issuer_id: string;
  name: string;
  product_type: string;
  ewpg: boolean;
  isin: string | null;
  asset_code: string;
  currency: string;
  nominal_value: bigint | null;
  issuance_price: bigint | null;
  max_issuable_amount: bigint;
  step_size: bigint;
  payment_deadline: number | null;
  cancellation_deadline: number | null;
  interest_rate: string | null;
  day_count_convention: string | null;
  interest_start_date: string | null;
  interest_frequency: string | null;
  maturity_date: string | null;
  requires_review: boolean;
  status: string;
  token_chain_id: bigint | null;
  token_contract_address: string | null;
  token_deployed_at: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ListingsTable {
  id: string;
  product_id: string;
  distribution_platform_id: string;
  created_at: Timestamp;
}

export interface CampaignsTable {
  id: string;
  product_id: string;
  distribution_platform_id: string;
  name: string;
  allocation: bigint;
  currency: string;
  price_per_token: bigint;
  min_number_of_tokens: bigint;
  max_number_of_tokens: bigint;
  legal_persons_allowed: boolean;
  natural_persons_allowed: boolean;
  country: string;
  rule_type: 'public_offering' | 'minimum_investment_amount';
  minimum_investment_amount: bigint | null;
  agio_percent: string;
  is_campaign_active: boolean;
  units_reserved: Generated<bigint>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface InvestorsTable {
  id: string;
  distribution_platform_id: string;
  natural_person: Json<Record<string, unknown> | null> | null;
  legal_person: Json<Record<string, unknown> | null> | null;
  communication: Json<Record<string, unknown> | null> | null;
  bank_account: Json<Record<string, unknown> | null> | null;
  tax_information: Json<Record<string, unknown> | null> | null;
  is_beneficiary: boolean | null;
  kyc_status: Generated<'PENDING' | 'SUCCESS'>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface IdentificationsTable {
  id: string;
  investor_id: string;
  document_type: 'IDCARD' | 'PASSPORT';
  document_id: string;
  document_issuer: string | null;
  document_valid_from: string | null;
  document_valid_to: string;
  identity_provider: string | null;
  legitimation_process_id: string | null;
  legitimation_protocol_id: string | null;
  verified_at: string;
  created_at: Timestamp;
}

export interface BenefitingPersonsTable {
  id: string;
  investor_id: string;
  natural_person: Json<Record<string, unknown>>;
  created_at: Timestamp;
}

export interface WalletsTable {
  id: string;
  investor_id: string;
  type: 'eth-generic' | 'eth-managed';
  address: string;
  receiving_enabled: boolean;
  encrypted_private_key: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DocumentsTable {
  id: string;
  issuer_id: string | null;
  distribution_platform_id: string | null;
  filename: string;
  content_type: string;
  size: bigint;
  sha256: string;
  content: Buffer;
  created_at: Timestamp;
}

export interface InvestmentsTable {
  id: string;
  investor_id: string;
  campaign_id: string;
  product_id: string;
  issuer_id: string;
  distribution_platform_id: string;
  status: string;
  units: bigint;
  currency: string;
  price_per_token: bigint;
  agio_percent: string;
  disagio: Generated<bigint>;
  accrued_interest_at_acceptance: bigint | null;
  remaining_amount: Generated<bigint>;
  wallet_id: string | null;
  signed_at: string | null;
  accepted_at: string | null;
  paid_at: string | null;
  delivered_at: string | null;
  review_completed_at: string | null;
  cancellation_date: string | null;
  cancellation_reason: string | null;
  credit_requested_at: string | null;
  subscription_token: string | null;
  payment_reference: string;
  /** SUBSCRIPTION: subscribed through a campaign; TRANSFER: a holding received by a transfer. */
  origin: Generated<'SUBSCRIPTION' | 'TRANSFER'>;
  source_investment_id: string | null;
  transfer_id: string | null;
  ledger_block: bigint | null;
  ledger_log_index: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface InvestmentDocumentsTable {
  id: string;
  investment_id: string;
  category: string;
  document_id: string;
  created_at: Timestamp;
}

export interface InvestmentStatusChangesTable {
  id: string;
  investment_id: string;
  previous_status: string | null;
  status: string;
  changed_at: string;
  created_at: Timestamp;
}

export interface EventsTable {
  id: string;
  seq: Generated<bigint>;
  type: string;
  issuer_id: string | null;
  distribution_platform_id: string | null;
  investment_id: string | null;
  data: Json<Record<string, unknown>>;
  created_at: Timestamp;
}

export interface EmailsTable {
  id: string;
  issuer_id: string | null;
  kind: string;
  subject: string;
  body: string;
  investment_id: string | null;
  created_at: Timestamp;
  sent_at: string | null;
  recipients: string[] | null;
  attempts: Generated<number>;
  last_error: string | null;
  /** After a failed attempt: not tried again before this time (migration 011). */
  retry_at: string | null;
}

export interface WebhooksTable {
  id: string;
  issuer_id: string | null;
  distribution_platform_id: string | null;
  url: string;
  events: string[] | null;
  description: string | null;
  encrypted_secret: string;
  is_active: Generated<boolean>;
  disabled_reason: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: string | null;
}

export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  event_id: string;
  event_seq: bigint;
  ordering_key: string;
  status: Generated<'pending' | 'succeeded' | 'failed'>;
  attempts: Generated<number>;
  schedule_attempts: Generated<number>;
  next_attempt_at: Timestamp;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookAttemptsTable {
  id: string;
  delivery_id: string;
  attempted_at: string;
  status_code: number | null;
  latency_ms: number;
  response_excerpt: string | null;
  error: string | null;
  created_at: Timestamp;
}

export interface ChainTransactionsTable {
  id: string;
  chain_id: bigint;
  signer: string;
  nonce: bigint;
  kind: string;
  raw_transaction: string;
  hash: string;
  status: 'signed' | 'mined' | 'reverted' | 'dropped';
  block_number: bigint | null;
  gas_used: bigint | null;
  contract_address: string | null;
  error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CreditsTable {
  id: string;
  investment_id: string;
  product_id: string;
  operation_id: string;
  status: 'processing' | 'failed' | 'succeeded' | 'unknown';
  wallet_address: string;
  units: bigint;
  chain_transaction_id: string | null;
  error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type LedgerTaskStatus = 'processing' | 'failed' | 'succeeded' | 'unknown';

export interface TransfersTable {
  id: string;
  product_id: string;
  issuer_id: string;
  from_platform_id: string | null;
  to_platform_id: string | null;
  source: 'api' | 'ledger';
  from_address: string;
  to_address: string;
  from_wallet_id: string;
  to_wallet_id: string;
  units: bigint;
  status: LedgerTaskStatus;
  operation_id: string | null;
  chain_transaction_id: string | null;
  transaction_hash: string | null;
  block_number: bigint | null;
  log_index: number | null;
  error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface BurnsTable {
  id: string;
  investment_id: string;
  product_id: string;
  operation_id: string;
  status: LedgerTaskStatus;
  wallet_address: string;
  units: bigint;
  cancellation_date: string;
  chain_transaction_id: string | null;
  error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface LedgerCursorsTable {
  product_id: string;
  chain_id: bigint;
  contract_address: string;
  block_number: bigint;
  block_hash: string;
  halted: string | null;
  updated_at: Timestamp;
}

export interface TokenWalletRegistrationsTable {
  product_id: string;
  address: string;
  chain_transaction_id: string | null;
  created_at: Timestamp;
}

export type RegistryStatementReason =
  | 'ISSUANCE'
  | 'TRANSFER_OUT'
  | 'TRANSFER_IN'
  | 'REDEMPTION'
  | 'CANCELLATION'
  | 'ANNUAL';

export interface RegistryStatementsTable {
  id: string;
  investment_id: string;
  reason: RegistryStatementReason;
  units: bigint;
  remaining_amount: bigint;
  chain_transaction_hash: string | null;
  year: number | null;
  content: Buffer;
  sha256: string;
  created_at: Timestamp;
}

export interface StudioSessionsTable {
  token_hash: string;
  studio_user_id: string;
  created_at: Timestamp;
  expires_at: string;
}

export interface Database {
  kontor_settings: KontorSettingsTable;
  issuers: IssuersTable;
  distribution_platforms: DistributionPlatformsTable;
  issuer_platform_allowances: IssuerPlatformAllowancesTable;
  api_clients: ApiClientsTable;
  studio_users: StudioUsersTable;
  idempotency_keys: IdempotencyKeysTable;
  products: ProductsTable;
  listings: ListingsTable;
  campaigns: CampaignsTable;
  investors: InvestorsTable;
  identifications: IdentificationsTable;
  benefiting_persons: BenefitingPersonsTable;
  wallets: WalletsTable;
  documents: DocumentsTable;
  investments: InvestmentsTable;
  investment_documents: InvestmentDocumentsTable;
  investment_status_changes: InvestmentStatusChangesTable;
  events: EventsTable;
  emails: EmailsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  chain_transactions: ChainTransactionsTable;
  credits: CreditsTable;
  token_wallet_registrations: TokenWalletRegistrationsTable;
  registry_statements: RegistryStatementsTable;
  transfers: TransfersTable;
  burns: BurnsTable;
  ledger_cursors: LedgerCursorsTable;
  studio_sessions: StudioSessionsTable;
}
