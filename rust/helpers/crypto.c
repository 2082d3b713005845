// SPDX-License-Identifier: GPL-2.0

#include <crypto/internal/skcipher.h>
#include <crypto/skcipher.h>
#include <linux/string.h>

__rust_helper void rust_helper_memzero_explicit(void *s, size_t count)
{
	memzero_explicit(s, count);
}

__rust_helper void *rust_helper_crypto_skcipher_ctx(struct crypto_skcipher *tfm)
{
	return crypto_skcipher_ctx(tfm);
}

__rust_helper bool rust_helper_crypto_skcipher_tested(struct crypto_skcipher *tfm)
{
	return crypto_skcipher_tested(tfm);
}

__rust_helper struct crypto_skcipher *
rust_helper_crypto_skcipher_reqtfm(struct skcipher_request *req)
{
	return crypto_skcipher_reqtfm(req);
}

__rust_helper unsigned int
rust_helper_crypto_skcipher_ivsize(struct crypto_skcipher *tfm)
{
	return crypto_skcipher_ivsize(tfm);
}

__rust_helper void rust_helper_crypto_free_skcipher(struct crypto_skcipher *tfm)
{
	crypto_free_skcipher(tfm);
}

__rust_helper struct skcipher_request *
rust_helper_skcipher_request_alloc(struct crypto_skcipher *tfm, gfp_t gfp)
{
	return skcipher_request_alloc(tfm, gfp);
}

__rust_helper void rust_helper_skcipher_request_free(struct skcipher_request *req)
{
	skcipher_request_free(req);
}

__rust_helper void
rust_helper_skcipher_request_set_callback(struct skcipher_request *req, u32 flags,
					  crypto_completion_t compl, void *data)
{
	skcipher_request_set_callback(req, flags, compl, data);
}

__rust_helper void
rust_helper_skcipher_request_set_crypt(struct skcipher_request *req,
				       struct scatterlist *src,
				       struct scatterlist *dst,
				       unsigned int cryptlen, void *iv)
{
	skcipher_request_set_crypt(req, src, dst, cryptlen, iv);
}

__rust_helper void rust_helper_crypto_init_wait(struct crypto_wait *wait)
{
	crypto_init_wait(wait);
}

__rust_helper int rust_helper_crypto_wait_req(int err, struct crypto_wait *wait)
{
	return crypto_wait_req(err, wait);
}

__rust_helper void rust_helper_crypto_skcipher_set_reqsize(struct crypto_skcipher *tfm,
							   unsigned int reqsize)
{
	crypto_skcipher_set_reqsize(tfm, reqsize);
}

__rust_helper void *rust_helper_skcipher_request_ctx(struct skcipher_request *req)
{
	return skcipher_request_ctx(req);
}

__rust_helper void
rust_helper_skcipher_request_complete(struct skcipher_request *req, int err)
{
	skcipher_request_complete(req, err);
}

#if IS_BUILTIN(CONFIG_CRYPTO_SIG)
#include <crypto/internal/sig.h>

__rust_helper void *rust_helper_crypto_sig_ctx(struct crypto_sig *tfm)
{
	return crypto_sig_ctx(tfm);
}

__rust_helper void rust_helper_crypto_free_sig(struct crypto_sig *tfm)
{
	crypto_free_sig(tfm);
}

__rust_helper int rust_helper_crypto_sig_set_privkey(struct crypto_sig *tfm,
						     const void *key,
						     unsigned int keylen)
{
	return crypto_sig_set_privkey(tfm, key, keylen);
}

__rust_helper int rust_helper_crypto_sig_set_pubkey(struct crypto_sig *tfm,
						    const void *key,
						    unsigned int keylen)
{
	return crypto_sig_set_pubkey(tfm, key, keylen);
}

__rust_helper int rust_helper_crypto_sig_sign(struct crypto_sig *tfm,
					      const void *src, unsigned int slen,
					      void *dst, unsigned int dlen)
{
	return crypto_sig_sign(tfm, src, slen, dst, dlen);
}

__rust_helper int rust_helper_crypto_sig_verify(struct crypto_sig *tfm,
						const void *src,
						unsigned int slen,
						const void *digest,
						unsigned int dlen)
{
	return crypto_sig_verify(tfm, src, slen, digest, dlen);
}

__rust_helper unsigned int rust_helper_crypto_sig_maxsize(struct crypto_sig *tfm)
{
	return crypto_sig_maxsize(tfm);
}
#endif

#if IS_BUILTIN(CONFIG_CRYPTO_AKCIPHER)
#include <crypto/internal/akcipher.h>

__rust_helper void *rust_helper_akcipher_tfm_ctx(struct crypto_akcipher *tfm)
{
	return akcipher_tfm_ctx(tfm);
}

__rust_helper struct crypto_akcipher *
rust_helper_crypto_akcipher_reqtfm(struct akcipher_request *req)
{
	return crypto_akcipher_reqtfm(req);
}

__rust_helper void rust_helper_crypto_free_akcipher(struct crypto_akcipher *tfm)
{
	crypto_free_akcipher(tfm);
}

__rust_helper int
rust_helper_crypto_akcipher_set_priv_key(struct crypto_akcipher *tfm,
					 const void *key, unsigned int keylen)
{
	return crypto_akcipher_set_priv_key(tfm, key, keylen);
}

__rust_helper int
rust_helper_crypto_akcipher_set_pub_key(struct crypto_akcipher *tfm,
					const void *key, unsigned int keylen)
{
	return crypto_akcipher_set_pub_key(tfm, key, keylen);
}

__rust_helper unsigned int
rust_helper_crypto_akcipher_maxsize(struct crypto_akcipher *tfm)
{
	return crypto_akcipher_maxsize(tfm);
}
#endif
