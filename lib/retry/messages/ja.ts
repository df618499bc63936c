import type { DunningTemplates } from './types';

/** Japanese dunning texts (丁寧語/敬語, as in a company's customer mail). */
export const ja: DunningTemplates = {
	subject: {
		firstNotice: '【{{merchantName}}】お支払いが完了しませんでした',
		reminder: '【{{merchantName}}】{{amount}}のお支払いのお願い',
		finalNotice: '【{{merchantName}}】最終のご案内：{{dueDate}}までに{{amount}}をお支払いください',
		suspended: '【{{merchantName}}】アカウント停止のお知らせ',
	},
	greeting: '{{customerName}} 様',
	greetingAnonymous: 'お客様各位',
	intro: {
		firstNotice: '{{merchantName}}をご利用いただき、誠にありがとうございます。{{amount}}のお支払いを処理できませんでした。',
		reminder: '{{merchantName}}をご利用いただき、誠にありがとうございます。{{amount}}のお支払いがまだ確認できておりません。',
		finalNotice: '{{amount}}のお支払いがまだ確認できておりません。アカウントを引き続きご利用いただくため、{{dueDate}}までにお支払いをお願いいたします。',
		suspended: '{{amount}}のお支払いが確認できないため、{{merchantName}}のアカウントを停止いたしました。',
	},
	access: {
		full: '',
		grace: 'それまでの間、アカウントは引き続きすべての機能をご利用いただけます。',
		limited: 'お支払いが確認できるまで、アカウントの一部機能を制限させていただきます。',
		suspended: 'お支払いが確認でき次第、ご利用を再開いただけます。',
	},
	action: {
		retry: '{{nextRetryAt}}に再度お支払いを試みます。今すぐのお支払いや、別のお支払い方法のご利用も可能です。',
		requestPaymentMethod: '{{dueDate}}までにお支払い方法の更新をお願いいたします。',
		requestAuthentication: 'ご利用の金融機関より、このお支払いの承認が求められています。{{dueDate}}までにご承認をお願いいたします。',
		stop: 'このお支払いの自動での再試行は行いません。お手数ですが、請求書のお支払いをお願いいたします。',
	},
	linkLabel: {
		retry: '請求書を確認する',
		requestPaymentMethod: 'お支払い方法を更新する',
		requestAuthentication: 'お支払いを承認する',
		stop: '請求書を支払う',
	},
	linkFallback: 'ボタンが機能しない場合は、次のアドレスを開いてください：{{link}}',
	securityNote: 'リンク先は、決済代行会社Stripeが提供する安全なページです。カード情報が当社に渡ることはありません。',
	closing: '今後とも何卒よろしくお願いいたします。\n{{merchantName}}',
};
