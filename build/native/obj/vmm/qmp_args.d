build/native/obj/vmm/qmp_args.o: vmm/qmp_args.c vmm/qmp_args.h \
 vmm/compiler.h vmm/qmp_error.h
vmm/qmp_args.h:
vmm/compiler.h:
vmm/qmp_error.h:
