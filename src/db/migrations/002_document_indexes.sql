-- Lists and ownership checks of documents read by owner, oldest first.
create index documents_issuer on documents (issuer_id, created_at, id) where issuer_id is not null;
create index documents_platform on documents (distribution_platform_id, created_at, id)
  where distribution_platform_id is not null;
