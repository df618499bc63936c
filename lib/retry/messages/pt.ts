import type { DunningTemplates } from './types';

/** Portuguese dunning texts, worded to read naturally in Portugal and Brazil (no "tu"/"você"). */
export const pt: DunningTemplates = {
	subject: {
		firstNotice: 'O seu pagamento a {{merchantName}} não foi concluído',
		reminder: 'Lembrete: o seu pagamento de {{amount}} continua pendente',
		finalNotice: 'Último aviso: pague {{amount}} até {{dueDate}}',
		suspended: 'A sua conta {{merchantName}} foi suspensa',
	},
	greeting: 'Olá, {{customerName}},',
	greetingAnonymous: 'Olá,',
	intro: {
		firstNotice: 'Não conseguimos cobrar o seu pagamento de {{amount}} a {{merchantName}}.',
		reminder: 'O seu pagamento de {{amount}} a {{merchantName}} continua pendente.',
		finalNotice: 'O seu pagamento de {{amount}} a {{merchantName}} continua pendente. Regularize-o até {{dueDate}} para manter a sua conta ativa.',
		suspended: 'A sua conta {{merchantName}} foi suspensa porque um pagamento de {{amount}} está pendente.',
	},
	access: {
		full: '',
		grace: 'Entretanto, a sua conta continua totalmente disponível.',
		limited: 'Até o pagamento ser feito, algumas funcionalidades da sua conta estão limitadas.',
		suspended: 'O seu acesso será restabelecido assim que recebermos o pagamento.',
	},
	action: {
		retry: 'Tentaremos o pagamento novamente em {{nextRetryAt}}. Também pode pagar agora ou usar outro método de pagamento.',
		requestPaymentMethod: 'Atualize o seu método de pagamento até {{dueDate}}.',
		requestAuthentication: 'O seu banco pede a confirmação deste pagamento. Confirme-o até {{dueDate}}.',
		stop: 'Não voltaremos a tentar este pagamento automaticamente. Pague a fatura diretamente.',
	},
	linkLabel: {
		retry: 'Ver fatura',
		requestPaymentMethod: 'Atualizar método de pagamento',
		requestAuthentication: 'Confirmar pagamento',
		stop: 'Pagar fatura',
	},
	linkFallback: 'Se o botão não funcionar, abra este endereço: {{link}}',
	securityNote: 'O link abre uma página segura alojada pela Stripe, o nosso fornecedor de pagamentos. Nunca vemos os dados do seu cartão.',
	closing: 'Obrigado,\n{{merchantName}}',
};
